using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>
/// A chunk with its embedding, as a retrieval shard stores it. <see cref="Sentences"/> are the chunk's sentences
/// and their vectors from the chunk's own forward pass; null for chunks stored before sentence vectors existed or
/// with them turned off (the extractive generator then embeds the sentences itself). <see cref="Section"/> is the heading
/// of the section the chunk is in and <see cref="TokenCount"/> the word pieces of its text; both null for chunks
/// stored before they were recorded.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.IndexedChunk")]
public sealed record class IndexedChunk(
    string ChunkId,
    string DocumentId,
    int ChunkIndex,
    string Title,
    string Text,
    float[] Vector,
    int? Page = null,
    int? LastPage = null,
    SentenceVectors? Sentences = null,
    string? Section = null,
    int? TokenCount = null);

/// <summary>
/// A page of one document's chunks in chunk order, how many it has in all, and the version they are of (so that pages
/// read one after another can be told apart when the document was replaced in between). Without vectors (the default
/// of a listing), <see cref="IndexedChunk.Vector"/> is empty and <see cref="IndexedChunk.Sentences"/> null.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ChunkPage")]
public sealed record class ChunkPage(IndexedChunk[] Chunks, int Total, string? Version = null);

/// <summary>
/// The sentences of a chunk's text as character spans, each with a unit-length vector quantised to int8: the mean
/// of the sentence's token states in the chunk's forward pass, scaled so that its largest component is ±127.
/// About 390 bytes per sentence for a 384-dimension model.
/// </summary>
/// <param name="Spans">Start and length (UTF-16 units) of each sentence in the chunk text, as pairs.</param>
/// <param name="Values">Sentence count × dimensions quantised components, sentence by sentence.</param>
/// <param name="Scales">Per sentence: the factor that turns its quantised components back into the unit vector.</param>
[GenerateSerializer, Immutable, Alias("OrleansRag.SentenceVectors")]
public sealed record class SentenceVectors(
    int[] Spans,
    sbyte[] Values,
    float[] Scales)
{
    public int Count => Scales.Length;

    public int Dimensions => Scales.Length == 0 ? 0 : Values.Length / Scales.Length;

    public (int Start, int Length) Span(int sentence) => (Spans[2 * sentence], Spans[2 * sentence + 1]);
}

/// <summary>
/// A retrieved chunk and its cosine similarity to the query. <see cref="Sentences"/> are set only on hits
/// retrieved for answer generation and never serialised to JSON.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SearchHit")]
public sealed record class SearchHit(
    string DocumentId,
    int ChunkIndex,
    string ChunkId,
    string Title,
    string Text,
    float Score,
    int? Page = null,
    int? LastPage = null,
    [property: JsonIgnore] SentenceVectors? Sentences = null)
{
    /// <summary>The hit of <paramref name="chunk"/> at <paramref name="score"/>, with the chunk's sentence vectors.</summary>
    public static SearchHit Of(IndexedChunk chunk, float score)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return new(chunk.DocumentId, chunk.ChunkIndex, chunk.ChunkId, chunk.Title, chunk.Text, score, chunk.Page, chunk.LastPage, chunk.Sentences);
    }
}

/// <summary>
/// A document version switched into a shard's index at once: its chunks inline (<see cref="Chunks"/>, small
/// documents) or the <see cref="PartCount"/> parts staged before under <see cref="Version"/>. <see cref="EmbeddingModel"/>
/// names the model the vectors came from: a shard refuses vectors of another model than the ones it holds.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ShardCommit")]
public sealed record class ShardCommit(
    DocumentSummary Summary,
    IReadOnlyDictionary<string, MetadataValue>? Metadata,
    string Version,
    int PartCount,
    IndexedChunk[]? Chunks,
    string? EmbeddingModel = null);

/// <summary>How chunks are ranked.</summary>
public enum SearchMode
{
    /// <summary>Cosine similarity of embeddings.</summary>
    Dense,

    /// <summary>BM25 over English-analysed terms (Lucene's EnglishAnalyzer).</summary>
    Bm25,

    /// <summary>Dense and BM25 rankings fused (<see cref="SearchFusion"/>).</summary>
    Hybrid,
}

/// <summary>How a hybrid search fuses its dense and BM25 rankings.</summary>
public enum SearchFusion
{
    /// <summary>
    /// A weighted sum of each ranking's scores made comparable (z-scores over its top 100): a chunk strong in one ranking
    /// and present in the other beats one that is merely ranked in both. SciFact nDCG@10 0.7328 against 0.7139 for RRF.
    /// </summary>
    Score,

    /// <summary>Reciprocal rank fusion: ranks only, each list adding weight / (rrfK + rank).</summary>
    Rrf,
}

/// <summary>
/// Options of a search or question beyond the text itself. <see cref="Rerank"/>: whether the cluster's reranker
/// reorders the fused candidates (null: the collection's setting, else <c>Rerank:Enabled</c>). <see cref="Fusion"/>
/// and <see cref="DenseWeight"/> (0..1, null: <see cref="DefaultDenseWeight"/>; BM25 gets the rest): how a hybrid search
/// fuses its two rankings. New fields are nullable or have their zero as the default: a caller built before a field
/// existed sends nothing for it, and the receiver must read that as the default.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.SearchOptions")]
public sealed record class SearchOptions(
    int TopK = RagConstants.DefaultTopK,
    SearchMode Mode = SearchMode.Dense,
    bool PerDocument = false,
    int RrfK = SearchOptions.DefaultRrfK,
    MetadataFilter? Filter = null,
    bool? Rerank = null,
    SearchFusion Fusion = SearchFusion.Score,
    double? DenseWeight = null)
{
    public const int DefaultRrfK = 60;

    public const double DefaultDenseWeight = 0.5;
}

[GenerateSerializer, Immutable, Alias("OrleansRag.SearchTimings")]
public sealed record class SearchTimings(double EmbedMs, double RetrieveMs, double TotalMs);

[GenerateSerializer, Immutable, Alias("OrleansRag.SearchResponse")]
public sealed record class SearchResponse(
    string Collection,
    string Query,
    IReadOnlyList<SearchHit> Hits,
    SearchTimings Timings,
    SearchMode Mode = SearchMode.Dense,
    bool Reranked = false,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? DegradedReason = null);

/// <summary>Corpus statistics BM25 needs; summed over shards so that scores compare across shards.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.Bm25Stats")]
public sealed record class Bm25Stats(long ChunkCount, long TotalLength, long[] DocumentFrequencies)
{
    public static Bm25Stats Sum(IReadOnlyList<Bm25Stats> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var df = new long[parts.Count == 0 ? 0 : parts[0].DocumentFrequencies.Length];
        foreach (var part in parts)
        {
            for (var i = 0; i < df.Length; i++)
            {
                df[i] += part.DocumentFrequencies[i];
            }
        }

        return new Bm25Stats(parts.Sum(p => p.ChunkCount), parts.Sum(p => p.TotalLength), df);
    }
}

/// <summary>
/// What a query asks of one shard; <see cref="WithSentences"/> returns hits with their sentence vectors (for answers).
/// A dense query names the model its vector came from (<see cref="EmbeddingModel"/>), which must be the shard's.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ShardQuery")]
public sealed record class ShardQuery(
    SearchMode Mode,
    int TopK,
    bool PerDocument,
    float[]? Vector = null,
    string[]? Terms = null,
    string[]? DistinctTerms = null,
    Bm25Stats? Stats = null,
    MetadataFilter? Filter = null,
    bool WithSentences = false,
    string? EmbeddingModel = null);
