namespace OrleansRag.Ingestion;

/// <summary>
/// The rules of a document version restored from an export archive (<see cref="DocumentImport"/>), checked in the grain
/// for every caller: its shape, and its chunks made this document's; and the chunk list of a version that is to be
/// embedded again (a job's source, JSON <see cref="DocumentChunk"/>[]).
/// </summary>
public static class DocumentImports
{
    /// <summary>A version id from outside: it names staged parts and a blob, so it is 1 to 64 letters, digits or '-'.</summary>
    public static void CheckVersion(string version)
    {
        if (string.IsNullOrEmpty(version) || version.Length > 64 || !version.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new RagValidationException("version must be 1 to 64 letters, digits or '-'.", nameof(version));
        }
    }

    /// <summary>Refuses an import that cannot be a version: no chunks, or chunks given in more than one way, or the counts apart.</summary>
    public static void Check(DocumentImport import)
    {
        ArgumentNullException.ThrowIfNull(import);
        CheckVersion(import.Version);
        var ways = (import.Chunks is null ? 0 : 1) + (import.Parts > 0 ? 1 : 0) + (import.ChunksUpload is null ? 0 : 1);
        string? problem = ways != 1 ? "an imported version has its chunks inline, in staged parts or as an uploaded chunk list: exactly one of them"
            : import.ChunkCount < 1 ? "an imported version has at least one chunk"
            : import.Chunks is { } chunks && chunks.Length != import.ChunkCount ? $"chunkCount is {import.ChunkCount} but {chunks.Length} chunks came"
            : import.Chunks is { } indexed && !indexed.Select(c => c.ChunkIndex).Order().SequenceEqual(Enumerable.Range(0, indexed.Length)) ? "chunk indexes must run from 0 without gaps"
            : ContentTypes.Find(import.ContentType) is null ? $"contentType '{import.ContentType}' is not a format OrleansRag reads ({ContentTypes.Describe()})"
            : string.IsNullOrWhiteSpace(import.Title) ? "an imported version has a title"
            : string.IsNullOrEmpty(import.ContentHash) ? "an imported version has its content hash"
            : import.Parts < 0 ? "parts cannot be negative"
            : null;
        if (problem is not null)
        {
            throw new RagValidationException(problem, nameof(import));
        }
    }

    /// <summary>Chunks as this document's: their document id and chunk ids set from it, whatever the archive said.</summary>
    public static IndexedChunk[] Own(string documentId, IndexedChunk[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return [.. chunks.Select(c => c with { DocumentId = documentId, ChunkId = $"{documentId}#{c.ChunkIndex}" })];
    }

    /// <summary>A re-embedding job's chunks (a <see cref="DocumentChunkList"/>), in order.</summary>
    public static List<TextChunk> Parse(ReadOnlySpan<byte> json) =>
        [.. DocumentChunkList.Parse(json).Select(c => new TextChunk(c.Index, c.Text, c.TokenCount ?? 0, c.Page, c.LastPage, c.Section))];
}
