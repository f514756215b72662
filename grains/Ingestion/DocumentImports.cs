using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion;

/// <summary>
/// A document version restored from an export archive (<see cref="DocumentImport"/>) for its <see cref="DocumentGrain"/>:
/// its rules, checked in the grain for every caller (its shape, its vectors of the collection's model, its chunks made
/// this document's), its original kept, and what it becomes: a version to commit as it is, or a job that embeds its
/// chunk list again (a job's source, a <see cref="DocumentChunkList"/>).
/// </summary>
internal sealed class DocumentImports(string documentKey, DocumentIntake intake, DocumentOriginals originals, IngestJobLifecycle jobs)
{
    private readonly string _documentId = GrainKeys.SplitLast(documentKey).Last;

    /// <summary>
    /// What <paramref name="import"/> becomes in <paramref name="placement"/>: a job to queue (another model's chunks), or a
    /// result and version to commit; its original (uploaded before) is kept either way.
    /// </summary>
    public async Task<(IngestJob? Job, PipelineResult? Result, DocumentVersion? Version)> PrepareAsync(DocumentImport import, DocumentPlacement placement,
        Func<string, string> sourceKey, CancellationToken cancellationToken)
    {
        var reembed = import.ChunksUpload is not null;
        if (!reembed && !string.Equals(import.EmbeddingModel, placement.EmbeddingModel, StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingModelMismatchException(
                $"The imported vectors are of {import.EmbeddingModel}; the collection embeds with {placement.EmbeddingModel}. Import the chunk list to embed it again.");
        }

        var original = import.OriginalUpload is { } upload
            ? await intake.TakeUploadAsync(sourceKey(upload), upload, import.OriginalBytes, import.ContentType, cancellationToken)
            : null;
        var contentType = ContentTypes.Normalize(import.ContentType);
        var kept = original is null ? null : await originals.KeepAsync(documentKey, import.Version, original, contentType, cancellationToken);
        var sourceBytes = original?.LongLength ?? import.SourceBytes; // the original's length is what its content says it is
        var metadata = Submissions.Metadata(import.Metadata);
        if (reembed)
        {
            var job = jobs.Create(import.Version, sourceKey(import.ChunksUpload!), contentType, import.Title, metadata, import.ContentHash, sourceBytes, placement);
            job.Precut = true;
            job.Original = kept;
            job.OcrPages = import.OcrPages;
            return (job, null, null);
        }

        var result = new PipelineResult(import.Title, import.ChunkCount, import.PageCount, import.Parts,
            import.Chunks is { } chunks ? Own(_documentId, chunks) : null, import.EmbeddingModel, import.OcrPages);
        return (null, result, new DocumentVersion(import.Version, contentType, metadata, import.ContentHash, import.Text, sourceBytes, Attempts: 1, kept));
    }

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
            : import.OcrPages is { } ocr && (ocr.Length > (import.PageCount ?? 0) || ocr.Any(p => p < 1 || p > import.PageCount) || ocr.Distinct().Count() != ocr.Length)
                ? "ocrPages must be distinct page numbers of the document (1 to pageCount)"
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
