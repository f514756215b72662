using Microsoft.Extensions.Hosting;

namespace OrleansRag.Hosting;

public static class HostLifetimeExtensions
{
    /// <summary>Completes once the host has started (the silo serves), or throws when <paramref name="cancellationToken"/> fires first.</summary>
    public static async Task WaitUntilStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
