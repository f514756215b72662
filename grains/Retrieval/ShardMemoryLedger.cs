using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansRag.Monitoring;

namespace OrleansRag.Retrieval;

/// <summary>
/// What the shards active on this silo hold in memory, as each reports after every change, against the silo's budget
/// (<see cref="RetrievalOptions.MemoryBudgetMiB"/>). A shard asks for room before it takes new chunks.
/// </summary>
public sealed class ShardMemoryLedger(IOptions<RetrievalOptions> options)
{
    /// <summary>Share of the runtime's available memory the shards may hold when no budget is configured.</summary>
    public const double DefaultBudgetShare = 0.6;

    private readonly ConcurrentDictionary<string, ShardFootprint> _shards = new(StringComparer.Ordinal);

    public long BudgetBytes { get; } = options.Value.MemoryBudgetMiB > 0
        ? options.Value.MemoryBudgetMiB * 1024L * 1024
        : (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * DefaultBudgetShare);

    public long TotalBytes => _shards.Values.Sum(s => s.TotalBytes);

    public IReadOnlyList<ShardFootprint> Shards => [.. _shards.Values.OrderByDescending(s => s.TotalBytes)];

    public void Report(ShardFootprint footprint)
    {
        ArgumentNullException.ThrowIfNull(footprint);
        _shards[footprint.Shard] = footprint;
    }

    public void Forget(string shard) => _shards.TryRemove(shard, out _);

    /// <summary>Throws <see cref="IndexMemoryExceededException"/> when <paramref name="additionalBytes"/> more would not fit.</summary>
    public void EnsureRoom(string shard, long additionalBytes)
    {
        var total = TotalBytes;
        if (additionalBytes > 0 && total + additionalBytes > BudgetBytes)
        {
            throw new IndexMemoryExceededException(
                $"This silo's index memory is full: its shards hold {Mib(total)} MiB of a {Mib(BudgetBytes)} MiB budget (Retrieval:MemoryBudgetMiB), and this write to shard '{shard}' needs about {Mib(additionalBytes)} MiB more. Delete documents, add silos, or raise the budget.");
        }
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
