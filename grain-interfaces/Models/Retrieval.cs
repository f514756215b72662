namespace OrleansRag;

/// <summary>A chunk with its embedding, as a retrieval shard stores it.</summary>
[GenerateSerializer, Immutable]
public sealed record class IndexedChunk(
    string ChunkId,
    string DocumentId,
    int ChunkIndex,
    string Title,
    string Text,
    float[] Vector);

/// <summary>A retrieved chunk and its cosine similarity to the query.</summary>
[GenerateSerializer, Immutable]
public sealed record class SearchHit(
    string DocumentId,
    int ChunkIndex,
    string ChunkId,
    string Title,
    string Text,
    float Score);

[GenerateSerializer, Immutable]
public sealed record class SearchTimings(double EmbedMs, double RetrieveMs, double TotalMs);

[GenerateSerializer, Immutable]
public sealed record class SearchResponse(
    string Collection,
    string Query,
    IReadOnlyList<SearchHit> Hits,
    SearchTimings Timings);
