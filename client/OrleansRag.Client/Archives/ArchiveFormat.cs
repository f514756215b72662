using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRag.Client.Archives;

/// <summary>
/// The collection archive, version 1: a gzip-compressed tar (POSIX pax) of JSON and raw entries, in this order:
/// <list type="bullet">
/// <item><c>manifest.json</c>: format, version, the collection's settings and embedding model (<see cref="ArchiveManifest"/>);</item>
/// <item>per document n (1, 2, …): <c>documents/{n:D6}/document.json</c> (<see cref="ArchivedDocument"/>), then its
/// <c>original</c> when sources are included, then <c>chunks-{p:D4}.jsonl</c> parts of up to <see cref="PartChunks"/>
/// chunks, one JSON object per line (<see cref="ArchivedChunk"/>: text, pages, section, token count, the vector as
/// base64 little-endian float32, the sentence vectors);</item>
/// <item><c>end.json</c>: the counts and the SHA-256 of everything before it (<see cref="ArchiveEnd"/>), so a truncated
/// or altered archive is found out before anything is imported.</item>
/// </list>
/// </summary>
public static class ArchiveFormat
{
    public const string Name = "orleansrag.collection";
    public const int Version = 1;
    public const string ManifestEntry = "manifest.json";
    public const string EndEntry = "end.json";
    public const int PartChunks = 256;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal static string DocumentEntry(int document) => $"documents/{document:D6}/document.json";

    internal static string OriginalEntry(int document) => $"documents/{document:D6}/original";

    internal static string ChunksEntry(int document, int part) => $"documents/{document:D6}/chunks-{part:D4}.jsonl";

    internal static string Floats(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    internal static float[] Floats(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length % 4 != 0)
        {
            throw new FormatException("a float array's bytes are not a multiple of 4");
        }

        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        }

        return values;
    }
}

/// <summary>The first entry: what the archive holds and how the collection was made.</summary>
public sealed record class ArchiveManifest(
    string Format,
    int Version,
    string Collection,
    DateTimeOffset ExportedAt,
    int ShardCount,
    int? ChunkTokens,
    int? ChunkOverlapTokens,
    EmbeddingModelInfo? EmbeddingModel,
    bool IncludesSources,
    int Documents);

/// <summary>A document's record: its served version (when it has one), its metadata and the status of its latest version.</summary>
public sealed record class ArchivedDocument(
    string Id,
    string Title,
    string ContentType,
    IReadOnlyDictionary<string, MetadataValue>? Metadata,
    string? Text,
    string ContentHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DocumentStatus Status,
    string? Error,
    bool Searchable,
    int ChunkCount,
    int? PageCount,
    long? SourceBytes,
    long? OriginalBytes,
    int[]? OcrPages = null);

/// <summary>One chunk as indexed, with its vector and its sentences' vectors.</summary>
public sealed record class ArchivedChunk(
    int Index,
    string Text,
    int? Page,
    int? LastPage,
    string? Section,
    int? TokenCount,
    string Vector,
    ArchivedSentences? Sentences);

/// <summary>Sentence spans (start, length pairs), int8 components as base64, and per-sentence scales as base64 float32.</summary>
public sealed record class ArchivedSentences(int[] Spans, string Values, string Scales);

/// <summary>The last entry: counts, and the SHA-256 (hex) of every entry before it (its name, a newline, its bytes).</summary>
public sealed record class ArchiveEnd(int Documents, long Chunks, int Originals, string Sha256);

/// <summary>Where an export or import is: documents done of all, chunks and archive bytes so far.</summary>
public sealed record class ArchiveProgress(int Documents, int TotalDocuments, long Chunks, long Bytes);

/// <summary>What an export wrote.</summary>
public sealed record class ExportSummary(string Collection, int Documents, long Chunks, int Originals, long Bytes);

/// <summary>
/// What an import did: documents committed as they were (their vectors of the collection's model), documents queued
/// to be embedded again (another model), documents skipped (no served version in the archive), and whether the
/// collection was made by the import.
/// </summary>
public sealed record class ImportSummary(
    string Collection,
    bool Created,
    string? EmbeddingModel,
    int Documents,
    int Reembedding,
    int Skipped,
    long Chunks,
    int Originals,
    long Bytes);
