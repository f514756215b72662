using Orleans.Storage;

namespace OrleansRag.Tests.Cluster;

/// <summary>
/// Grain storage that fails the next writes of chosen grains, in front of the real (memory) storage. The rules
/// are static, so both in-process silos of <see cref="ClusterFixture"/> obey them.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(string StateName, string KeyPart), int> Failures = [];

    /// <summary>Fails the next <paramref name="times"/> writes of state <paramref name="stateName"/> of grains whose key contains <paramref name="keyPart"/>.</summary>
    public static void FailWrites(string stateName, string keyPart, int times)
    {
        lock (Gate)
        {
            Failures[(stateName, keyPart)] = times;
        }
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = grainId.Key.ToString() ?? "";
        lock (Gate)
        {
            foreach (var rule in Failures.Keys.Where(r => r.StateName == stateName && key.Contains(r.KeyPart, StringComparison.Ordinal)).ToList())
            {
                var left = Failures[rule] - 1;
                if (left <= 0)
                {
                    Failures.Remove(rule);
                }
                else
                {
                    Failures[rule] = left;
                }

                throw new InvalidOperationException($"Injected storage failure writing '{stateName}' of {grainId}.");
            }
        }

        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
