using OrleansRag.Security;

namespace OrleansRag;

/// <summary>
/// One streamed answer; key: a fresh Guid per stream. Streams live on a grain of their own because an
/// IAsyncEnumerable grain call must reach the same activation on every step, which stateless workers do not promise.
/// </summary>
[TenantScoped(TenantScope.FirstArgumentPrefix)]
[Alias("OrleansRag.IAnswerStreamGrain")]
public interface IAnswerStreamGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Token events, then one Done event with the answer, citations and timings, or an Error event if generation
    /// breaks. An unknown collection gives a single Error event.
    /// </summary>
    IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collectionKey, string question, SearchOptions options, IReadOnlyList<ChatTurn>? history = null, CancellationToken cancellationToken = default);
}
