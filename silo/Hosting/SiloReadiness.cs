namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Tracks whether this silo is active in its cluster: true once the silo lifecycle reaches Active, false again
/// as soon as shutdown begins, so a load balancer drains the silo before it goes.
/// </summary>
public sealed class SiloReadiness(IHostApplicationLifetime lifetime) : ILifecycleParticipant<ISiloLifecycle>
{
    private volatile bool _active;

    public bool IsActive => _active && !lifetime.ApplicationStopping.IsCancellationRequested;

    public void Participate(ISiloLifecycle observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        observer.Subscribe(
            nameof(SiloReadiness),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _active = true;
                return Task.CompletedTask;
            },
            _ =>
            {
                _active = false;
                return Task.CompletedTask;
            });
    }
}
