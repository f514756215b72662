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
        // Counted and timed as an ask, like a plain one: ok when the answer was delivered; rejected when it ended
        // before any token with an error event (the collection does not exist) or threw bad input; error when it
        // broke; cancelled when the caller gave up or stopped reading.
        var started = Stopwatch.GetTimestamp();
        string? outcome = null;
        var tokens = false;
        var enumerator = answers.AskStreamAsync(collectionKey, question, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (Exception exception)
                {
                    outcome = RagInstruments.Outcome(exception, cancellationToken);
                    throw;
                }

                var item = enumerator.Current;
                tokens |= item.Kind == AskStreamEventKind.Token;
                outcome = item.Kind switch
                {
                    AskStreamEventKind.Done => "ok",
                    AskStreamEventKind.Error => tokens ? "error" : "rejected",
                    _ => outcome,
                };
                yield return item;
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
            RagInstruments.Record("ask", started, outcome ?? "cancelled");
            DeactivateOnIdle();
        }
    }
}
