namespace OrleansRag.Silo.Api;

/// <summary>
/// An answer stream started before the response is: its first event is awaited first, so a question the cluster
/// refuses (invalid input, checked in the grains) gets a status code and problem details, not a 200 with an error event.
/// </summary>
public static class AnswerStreams
{
    /// <summary>
    /// The stream with its first event already received; what the cluster throws for it, thrown here. Disposing its
    /// enumerator ends the cluster's enumeration, also when the response never got to read it.
    /// </summary>
    public static async Task<IAsyncEnumerable<AskStreamEvent>> StartAsync(IAsyncEnumerable<AskStreamEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            return new Started(enumerator, await enumerator.MoveNextAsync());
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    /// <summary>The started stream: read once, its first event first; its enumerator owns the cluster's.</summary>
    private sealed class Started(IAsyncEnumerator<AskStreamEvent> inner, bool hasFirst) : IAsyncEnumerable<AskStreamEvent>, IAsyncEnumerator<AskStreamEvent>
    {
        private bool _pendingFirst = hasFirst;
        private bool _ended = !hasFirst;

        public AskStreamEvent Current => inner.Current;

        public IAsyncEnumerator<AskStreamEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public async ValueTask<bool> MoveNextAsync()
        {
            if (_pendingFirst)
            {
                _pendingFirst = false;
                return true;
            }

            if (_ended)
            {
                return false;
            }

            _ended = !await inner.MoveNextAsync();
            return !_ended;
        }

        private bool _disposed;

        /// <summary>Ends the cluster's enumeration, once, however often it is called.</summary>
        public ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            return inner.DisposeAsync();
        }
    }
}
