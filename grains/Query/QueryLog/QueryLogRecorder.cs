using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Monitoring;
using OrleansRag.Security;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// Records each answer the answer path gives: counts it for the collection's no-answer rate and appends its entry to
/// the query log. An answer with no citations is a no-answer. A store that fails or is slower than
/// <see cref="QueryLogOptions.WriteTimeout"/> costs the entry (logged), never the answer.
/// </summary>
public sealed partial class QueryLogRecorder(IQueryLog log, IOptions<QueryLogOptions> options, RagInstruments instruments, ILogger<QueryLogRecorder> logger)
{
    public bool Enabled => options.Value.Enabled;

    public async Task RecordAsync(string collectionKey, AskResponse response, SearchOptions searchOptions, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(searchOptions);
        var noAnswer = response.Citations.Count == 0;
        instruments.Answered(collectionKey, noAnswer);
        if (!options.Value.Enabled || response.AnswerId is not { } answerId)
        {
            return;
        }

        var caller = RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal));
        var entry = new QueryLogEntry(
            answerId, at, Cap(response.Question), response.StandaloneQuestion is { } rewritten ? Cap(rewritten) : null, searchOptions.Mode, searchOptions.TopK, Cap(response.Answer),
            [.. response.Citations.Select(c => new QueryLogCitation(c.N, c.DocumentId, c.ChunkIndex, c.Score))],
            response.Timings, response.Cached, noAnswer, response.Degraded, response.Reranked, caller?.KeyId);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.WriteTimeout);
            await log.AppendAsync(collectionKey, entry, timeout.Token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogNotRecorded(exception, answerId, collectionKey);
        }
    }

    /// <summary>Characters of a question or answer an entry keeps (the rest is cut, marked with "…").</summary>
    public const int MaxText = 2000;

    private static string Cap(string text) => text.Length <= MaxText ? text : string.Concat(text.AsSpan(0, MaxText - 1), "…");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answer {AnswerId} of {Collection} was not recorded in the query log")]
    private partial void LogNotRecorded(Exception exception, string answerId, string collection);
}
