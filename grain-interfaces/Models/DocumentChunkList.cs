using System.Text.Json;

namespace OrleansRag;

/// <summary>
/// A document's chunks as a JSON list (<see cref="DocumentChunk"/>[]): how an import of another model's archive hands
/// its chunks to the document grain, which embeds them again in the background.
/// </summary>
public static class DocumentChunkList
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] Serialize(IReadOnlyList<DocumentChunk> chunks) => JsonSerializer.SerializeToUtf8Bytes(chunks, Json);

    /// <summary>The chunks, in order; a list that is not one is a bad file (<see cref="DocumentRejectedException"/>, never retried).</summary>
    public static DocumentChunk[] Parse(ReadOnlySpan<byte> json)
    {
        DocumentChunk[]? chunks;
        try
        {
            chunks = JsonSerializer.Deserialize<DocumentChunk[]>(json, Json);
        }
        catch (JsonException exception)
        {
            throw new DocumentRejectedException($"The imported chunk list cannot be read: {exception.Message}");
        }

        if (chunks is null || chunks.Length == 0 || !chunks.Select(c => c.Index).SequenceEqual(Enumerable.Range(0, chunks.Length)) || chunks.Any(c => string.IsNullOrEmpty(c.Text)))
        {
            throw new DocumentRejectedException("The imported chunk list must hold chunks with text, numbered from 0 in order.");
        }

        return chunks;
    }
}
