using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansRag.Cli.Evaluation;

/// <summary>One mode's figures.</summary>
public sealed record EvaluationResult(
    SearchMode Mode,
    RetrievalScores Scores,
    double LatencyP50Ms,
    double LatencyP95Ms);

/// <summary>
/// Runs a BEIR evaluation through a running OrleansRag cluster over HTTP: ingests the corpus (documents
/// embedded as "title + ' ' + text", one chunk per document unless told otherwise, as MTEB does), then runs
/// every judged query through the real search path, ranked per document, and scores the rankings.
/// </summary>
public sealed class Evaluator(RagHttpClient client)
{
    /// <summary>
    /// Creates the collection (whole-document chunks by default; <paramref name="embeddingModel"/> null = the cluster's
    /// default model) and ingests the corpus; returns (ingested, unchanged, failed).
    /// </summary>
    public async Task<(int Ingested, int Unchanged, IReadOnlyList<string> Failed)> IngestAsync(
        BeirDataset dataset, string collection, int chunkTokens, int parallel, IProgress<int>? progress, string? embeddingModel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        await client.CreateCollectionAsync(collection, new CollectionSettings(ChunkTokens: chunkTokens, EmbeddingModel: embeddingModel), cancellationToken);
        var ingested = 0;
        var unchanged = 0;
        var done = 0;
        var failed = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(dataset.Corpus, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (document, token) =>
        {
            try
            {
                var id = DocumentId(document.Id);
                var text = string.IsNullOrWhiteSpace(document.Text) ? document.Title : document.Text;
                var result = await client.PutDocumentAsync(collection, id, new DocumentInput(text, document.Title), token);
                _ = result.Status == IngestStatus.Unchanged ? Interlocked.Increment(ref unchanged) : Interlocked.Increment(ref ingested);
            }
            catch (RagApiException exception) when (exception.Status is not null)
            {
                failed.Add($"{document.Id}: {exception.Message}");
            }

            progress?.Report(Interlocked.Increment(ref done));
        });
        return (ingested, unchanged, [.. failed]);
    }

    /// <summary>Runs every judged query in <paramref name="mode"/>, top 100 documents each, and scores them.</summary>
    public async Task<EvaluationResult> EvaluateAsync(BeirDataset dataset, string collection, SearchMode mode, int parallel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var rankings = new ConcurrentDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var latencies = new ConcurrentBag<double>();
        await Parallel.ForEachAsync(dataset.Queries, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (query, token) =>
        {
            var watch = Stopwatch.StartNew();
            var response = await client.SearchAsync(collection, query.Value, new SearchOptions(100, mode, PerDocument: true), token);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            rankings[query.Key] = [.. response.Hits.Select(h => OriginalId(h.DocumentId))];
        });

        var sorted = latencies.Order().ToList();
        return new EvaluationResult(mode, RetrievalMetrics.Score(dataset.Qrels, rankings),
            RetrievalMetrics.Percentile(sorted, 50), RetrievalMetrics.Percentile(sorted, 95));
    }

    /// <summary>BEIR ids are free text; ids that are not valid OrleansRag ids are hex-encoded with a "x-" prefix.</summary>
    public static string DocumentId(string beirId) =>
        RagValidation.CheckId("id", beirId) is null && !beirId.StartsWith("x-", StringComparison.Ordinal)
            ? beirId
            : "x-" + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(beirId))[..Math.Min(250, beirId.Length * 2)];

    private static string OriginalId(string documentId) =>
        documentId.StartsWith("x-", StringComparison.Ordinal)
            ? System.Text.Encoding.UTF8.GetString(Convert.FromHexString(documentId[2..]))
            : documentId;
}
