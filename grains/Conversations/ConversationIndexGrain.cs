using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Security;

namespace OrleansRag.Conversations;

/// <summary>The conversations of a collection, by id.</summary>
[GenerateSerializer, Alias("OrleansRag.ConversationIndexState")]
public sealed class ConversationIndexState
{
    [Id(0)] public Dictionary<string, ConversationEntry> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The index of one key's conversations with one collection (key tenant/collection/keyId), kept by the conversation
/// grains, for listings and for expiry: while it holds entries, a reminder sweeps it and asks each conversation idle
/// past the TTL to remove itself, so an abandoned conversation does not stay in storage for ever. One index per key
/// keeps each small and spreads the writes of many users over many grains.
/// </summary>
[GrainType("conversation-index")] // stored state and reminders are keyed by it
public sealed partial class ConversationIndexGrain(
    [PersistentState("conversations", RagConstants.StorageName)] IPersistentState<ConversationIndexState> state,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    ILogger<ConversationIndexGrain> logger) : Grain, IConversationIndexGrain, IRemindable
{
    public const string SweepReminder = "expire-conversations";

    /// <summary>Conversations asked per sweep at most, so one tick stays short.</summary>
    public const int SweepBatch = 500;

    private bool _sweeping;

    private IDictionary<string, ConversationEntry> Entries => state.State.Entries;

    private string CollectionKey => GrainKeys.SplitLast(this.GetPrimaryKeyString()).CollectionKey;

    public async Task<bool> AddAsync(ConversationEntry entry)
    {
        entry = Clamped(entry);
        if (!Entries.ContainsKey(entry.Id) && Entries.Count >= options.Value.MaxPerKey)
        {
            await SweepAsync();
            if (Entries.Count >= options.Value.MaxPerKey)
            {
                return false;
            }
        }

        Entries[entry.Id] = entry;
        await state.WriteStateAsync();
        await EnsureSweepingAsync();
        return true;
    }

    public async Task UpdateAsync(ConversationEntry entry)
    {
        entry = Clamped(entry);
        if (Entries.ContainsKey(entry.Id))
        {
            Entries[entry.Id] = entry; // a late update of a removed conversation must not bring it back
            await state.WriteStateAsync();
        }
    }

    public async Task RemoveAsync(string id)
    {
        if (Entries.Remove(id))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ConversationInfo[]> ListAsync(CancellationToken cancellationToken = default)
    {
        // Another key of the tenant sees nothing here (an admin sees every key's).
        var caller = RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal)) ?? RagPrincipal.LocalAdmin;
        var owner = GrainKeys.SplitLast(this.GetPrimaryKeyString()).Last;
        if (!caller.IsInternal && !caller.Has(RagRole.Admin) && !string.Equals(caller.KeyId, owner, StringComparison.Ordinal))
        {
            return Task.FromResult<ConversationInfo[]>([]);
        }

        var now = time.GetUtcNow();
        var ttl = options.Value.IdleTtl;
        var collection = GrainKeys.CollectionName(CollectionKey);
        return Task.FromResult<ConversationInfo[]>([.. Entries.Values
            .Where(e => e.LastActiveAt + ttl > now)
            .OrderByDescending(e => e.LastActiveAt).ThenBy(e => e.Id, StringComparer.Ordinal)
            .Select(e => new ConversationInfo(e.Id, collection, e.Title, e.TurnCount, e.CreatedAt, e.LastActiveAt, e.LastActiveAt + ttl))]);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != SweepReminder)
        {
            return;
        }

        await SweepAsync();
        if (Entries.Count == 0)
        {
            var reminder = await this.GetReminder(SweepReminder);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _sweeping = false;
        }
    }

    /// <summary>
    /// Asks the conversations whose entries look idle past the TTL to expire: those that did are dropped, the others'
    /// entries refreshed (their last turn may not have reached the index).
    /// </summary>
    private async Task SweepAsync()
    {
        var due = time.GetUtcNow() - options.Value.IdleTtl;
        var candidates = Entries.Values.Where(e => e.LastActiveAt <= due).Take(SweepBatch).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        var collectionKey = CollectionKey;
        RequestContext.Remove(RagRequestContext.Principal); // the sweep is the silo's own act
        var results = await Task.WhenAll(candidates.Select(async e =>
        {
            try
            {
                return (e.Id, Entry: await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Document(collectionKey, e.Id)).ExpireIfIdleAsync(), Failed: false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSweepFailed(exception, e.Id);
                return (e.Id, Entry: (ConversationEntry?)null, Failed: true);
            }
        }));
        foreach (var (id, entry, failed) in results.Where(r => !r.Failed))
        {
            if (entry is null)
            {
                Entries.Remove(id);
            }
            else
            {
                Entries[id] = entry;
            }
        }

        await state.WriteStateAsync();
    }

    /// <summary>No entry may claim activity in the future, which would keep it from every sweep.</summary>
    private ConversationEntry Clamped(ConversationEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = time.GetUtcNow();
        return entry with { CreatedAt = entry.CreatedAt > now ? now : entry.CreatedAt, LastActiveAt = entry.LastActiveAt > now ? now : entry.LastActiveAt };
    }

    private async Task EnsureSweepingAsync()
    {
        if (_sweeping)
        {
            return;
        }

        // Reminders fire at most once a minute; a sweep every half TTL keeps a conversation at most 1.5 TTL in storage.
        var period = TimeSpan.FromTicks(Math.Clamp(options.Value.IdleTtl.Ticks / 2, TimeSpan.FromMinutes(1).Ticks, TimeSpan.FromDays(1).Ticks));
        await this.RegisterOrUpdateReminder(SweepReminder, period, period);
        _sweeping = true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {Id} could not be asked to expire; the next sweep tries again")]
    private partial void LogSweepFailed(Exception exception, string id);
}
