using System.Diagnostics;
using System.Runtime.CompilerServices;
using OrleansRag.Monitoring;
using Orleans.Placement;

namespace OrleansRag.Generation;

/// <summary>
/// Streams one answer from the silo that received the request, through the same <see cref="AnswerPipeline"/>
/// as a plain ask (cache included). Deactivates when the stream ends.
/// </summary>
[PreferLocalPlacement]
public sealed class AnswerStreamGrain(AnswerPipeline answers) : Grain, IAnswerStreamGrain
{
    public async IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collectionKey, string question, SearchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Counted and timed as an ask, like a plain one: ok when the answer was delivered, error when the stream
        // ended with an error event or broke, cancelled when the caller gave up.
        var started = Stopwatch.GetTimestamp();
        var last = (AskStreamEventKind?)null;
        try
        {
            await foreach (var item in answers.AskStreamAsync(collectionKey, question, options, cancellationToken))
            {
                last = item.Kind;
                yield return item;
            }
        }
        finally
        {
            RagInstruments.Record("ask", started, last switch
            {
                AskStreamEventKind.Done => "ok",
                _ when cancellationToken.IsCancellationRequested => "cancelled",
                _ => "error",
            });
            DeactivateOnIdle();
        }
    }
}
