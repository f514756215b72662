using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansRag.Tests.Infrastructure;

/// <summary>
/// Grain storage for in-process test clusters that outlives any one silo, as Redis does in production. Orleans'
/// memory grain storage keeps each state inside a storage grain on some silo, so killing that silo silently takes
/// the state with it (rule definitions, last-seen times): a test that kills silos needs this instead. States are
/// stored serialised (each read gets its own copy), with an ETag check like a real store.
/// </summary>
public sealed class SharedGrainStorage(ConcurrentDictionary<(string StateName, GrainId GrainId), (byte[] Data, string ETag)> states, Serializer serializer)
    : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (states.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(stored.Data);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var etag = Guid.NewGuid().ToString("N");
        var data = serializer.SerializeToArray(grainState.State);
        states.AddOrUpdate(
            (stateName, grainId),
            _ => grainState.ETag is null ? (data, etag) : throw Conflict(stateName, grainId),
            (_, current) => current.ETag == grainState.ETag ? (data, etag) : throw Conflict(stateName, grainId));
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        states.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static InconsistentStateException Conflict(string stateName, GrainId grainId) =>
        new($"ETag mismatch writing '{stateName}' of {grainId}.");
}
