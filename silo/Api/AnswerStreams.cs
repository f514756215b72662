namespace OrleansRag.Silo.Api;

/// <summary>
/// An answer stream started before the response is: its first event is awaited first, so a question the cluster
/// refuses (invalid input, checked in the grains) gets a status code and problem details, not a 200 with an error event.
/// </summary>
public static class AnswerStreams
{
    /// <summary>The stream with its first event already received; what the cluster throws for it, thrown here.</summary>
    public static async Task<IAsyncEnumerable<AskStreamEvent>> StartAsync(IAsyncEnumerable<AskStreamEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            return await enumerator.MoveNextAsync() ? Rest(enumerator, enumerator.Current) : Empty(enumerator);
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    private static async IAsyncEnumerable<AskStreamEvent> Rest(IAsyncEnumerator<AskStreamEvent> enumerator, AskStreamEvent first)
    {
        await using (enumerator)
        {
            yield return first;
            while (await enumerator.MoveNextAsync())
            {
                yield return enumerator.Current;
            }
        }
    }

    private static async IAsyncEnumerable<AskStreamEvent> Empty(IAsyncEnumerator<AskStreamEvent> enumerator)
    {
        await enumerator.DisposeAsync();
        yield break;
    }
}
