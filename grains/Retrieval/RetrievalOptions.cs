using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Retrieval;

/// <summary>Configuration section "Retrieval": the shards' vector index and their memory budget.</summary>
public sealed class RetrievalOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>
    /// The exact scan every shard uses: <see cref="VectorIndexKind.Int8"/> (int8 codes for candidates, fp32 re-scoring;
    /// SciFact nDCG@10 equal to fp32's) or <see cref="VectorIndexKind.Fp32"/>.
    /// </summary>
    [AllowedValues(VectorIndexKind.Int8, VectorIndexKind.Fp32)]
    public VectorIndexKind VectorIndex { get; set; } = VectorIndexKind.Int8;

    /// <summary>Chunks in one shard from which an HNSW graph answers dense queries instead of the exact scan; 0 never builds one.</summary>
    [Range(0, int.MaxValue)]
    public int HnswThreshold { get; set; } = 50_000;

    /// <summary>Candidates per result from the int8 scan re-scored in fp32.</summary>
    [Range(1, 100)]
    public int RescoreFactor { get; set; } = 4;

    /// <summary>Candidates per result fetched from the HNSW graph and re-scored in fp32 (more: higher recall, slower).</summary>
    [Range(1, 100)]
    public int HnswRescoreFactor { get; set; } = 4;

    /// <summary>
    /// Memory all shards of one silo may hold (vectors, codes, graphs, chunk text and the BM25 postings, as estimated
    /// by the shards), in MiB. Writes that would go beyond it get HTTP 507. 0: 60 % of the memory the runtime may use
    /// (the container's limit, or the machine's memory).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MemoryBudgetMiB { get; set; }

    /// <summary>
    /// A folder on the silo's disk where shards keep their HNSW graphs between activations (a restarted silo then
    /// loads and reconciles a graph instead of building it); empty keeps none. One folder per cluster.
    /// </summary>
    public string? IndexCacheDirectory { get; set; }

    /// <summary>The index shard <paramref name="shardKey"/> starts with for vectors of <paramref name="dimensions"/>.</summary>
    public IVectorIndex CreateIndex(int dimensions, string shardKey = "")
    {
        IVectorIndex exact = VectorIndex == VectorIndexKind.Fp32 ? new Fp32VectorIndex(dimensions) : new Int8VectorIndex(dimensions, RescoreFactor);
        if (HnswThreshold <= 0)
        {
            return exact;
        }

        var cache = string.IsNullOrWhiteSpace(IndexCacheDirectory) || string.IsNullOrEmpty(shardKey)
            ? null
            : Path.Combine(IndexCacheDirectory, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(shardKey)))[..32]);
        return new HnswVectorIndex(exact, HnswThreshold, HnswRescoreFactor) { CachePath = cache };
    }
}
