using System.Runtime.CompilerServices;
using OrleansRag.Monitoring;
using Orleans.Placement;

namespace OrleansRag.Generation;

/// <summary>
/// Streams one answer from the silo that received the request, through the same <see cref="AnswerPipeline"/>
/// as a plain ask (cache included). Deactivates when the stream ends.
/// </summary>
[PreferLocalPlacement]
public sealed class AnswerStreamGrain(AnswerPipeline answers, RagInstruments instruments) : Grain, IAnswerStreamGrain
{
    public async IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collectionKey, string question, SearchOptions options, IReadOnlyList<ChatTurn>? history = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var item in instruments.TrackStreamAsync("ask", answers.AskStreamAsync(collectionKey, question, options, history, cancellationToken), cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            DeactivateOnIdle();
        }
    }
}
