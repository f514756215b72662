using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using OrleansRag.Generation;
using OrleansRag.Monitoring;
using OrleansRag.Query;
using OrleansRag.Security;

namespace OrleansRag.Conversations;

/// <summary>
/// One conversation (key tenant/collection/id): it owns the turns, their order and the conversation's lifetime; the
/// rules live in <see cref="ConversationLog"/>, the answering in <see cref="AnswerPipeline"/> (a follow-up condensed
/// from the kept turns, then the same path as an ask). Turns and other writes run one at a time; reads interleave
/// with a turn that is being answered. Placed on the silo that first receives it, next to the HTTP edge.
/// </summary>
[Reentrant]
[PreferLocalPlacement]
[GrainType("conversation")] // stored state is keyed by it: a rename of the class must not change it
public sealed class ConversationGrain(
    [PersistentState("conversation", RagConstants.StorageName)] IPersistentState<ConversationState> state,
    AnswerPipeline answers,
    CollectionDirectory collections,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    RagInstruments instruments) : Grain, IConversationGrain, IDisposable
{
    /// <summary>How long a turn waits for the one before it before it is refused (409).</summary>
    public static readonly TimeSpan TurnWait = TimeSpan.FromSeconds(60);

    /// <summary>A turn refreshes the conversation's index entry (turns, last activity) at most this often, the first turn always.</summary>
    public static readonly TimeSpan IndexRefresh = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _writes = new(1, 1);
    private DateTimeOffset _indexedAt;
    private IGrainTimer? _indexFlush;

    /// <summary>The rules over the current state (storage replaces the state object when it loads or clears it).</summary>
    private ConversationLog Log => new(state.State, options.Value, time);

    public void Dispose()
    {
        _writes.Dispose();
        _indexFlush?.Dispose();
    }

    private string Key => this.GetPrimaryKeyString();

    private string CollectionKey => GrainKeys.SplitLast(Key).CollectionKey;

    private string Id => GrainKeys.SplitLast(Key).Last;

    private string Collection => GrainKeys.CollectionName(CollectionKey);

    public async Task<ConversationInfo?> CreateAsync(CancellationToken cancellationToken = default)
    {
        var caller = Caller();
        await EnterAsync(cancellationToken);
        try
        {
            await ExpireIfDueAsync();
            if (Log.IsLive)
            {
                return Log.CanAccess(caller) ? Log.Info(Id, Collection) : throw new ConversationConflictException($"Conversation id '{Id}' is taken.");
            }

            if (await collections.FindAsync(CollectionKey, cancellationToken) is null)
            {
                return null;
            }

            Log.Start(caller.KeyId);
            bool added;
            try
            {
                added = await IndexAddAsync(Log.Entry(Id));
            }
            catch
            {
                state.State.Exists = false;
                throw;
            }

            if (!added)
            {
                state.State.Exists = false;
                throw new ConversationConflictException(
                    $"This key already has {options.Value.MaxPerKey} conversations with collection '{Collection}' (Conversations:MaxPerKey); delete some or let idle ones expire.");
            }

            try
            {
                await state.WriteStateAsync(cancellationToken);
            }
            catch
            {
                state.State.Exists = false;
                await IndexRemoveAsync(Index());
                throw;
            }

            return Log.Info(Id, Collection);
        }
        finally
        {
            _writes.Release();
        }
    }

    public async Task<Conversation?> GetAsync(CancellationToken cancellationToken = default)
    {
        if (Log.IsExpired)
        {
            await ExpireAsync(cancellationToken);
        }

        return Log.IsLive && Log.CanAccess(Caller()) ? Log.View(Id, Collection) : null;
    }

    public async Task<bool> DeleteAsync(CancellationToken cancellationToken = default)
    {
        var caller = Caller();
        await EnterAsync(cancellationToken);
        try
        {
            if (!state.State.Exists || !Log.CanAccess(caller))
            {
                return false;
            }

            var live = Log.IsLive;
            await RemoveAsync(fromIndex: true);
            return live;
        }
        finally
        {
            _writes.Release();
        }
    }

    public Task<AskResponse?> SendAsync(string question, SearchOptions options, CancellationToken cancellationToken = default) =>
        instruments.TrackAsync("ask", async () =>
        {
            Query.Retriever.Validate(nameof(question), question, options); // before waiting for the turn before it
            var caller = Caller();
            await EnterAsync(cancellationToken);
            try
            {
                await ExpireIfDueAsync();
                if (!Log.IsLive || !Log.CanAccess(caller))
                {
                    return null;
                }

                var response = await answers.AskAsync(CollectionKey, question, options, Log.History(), cancellationToken);
                return response is null ? null : await RecordAsync(question, response);
            }
            finally
            {
                _writes.Release();
            }
        }, cancellationToken);

    public IAsyncEnumerable<AskStreamEvent> SendStreamAsync(string question, SearchOptions options, CancellationToken cancellationToken = default) =>
        instruments.TrackStreamAsync("ask", StreamTurnAsync(question, options, Caller(), cancellationToken), cancellationToken);

    public async Task<ConversationEntry?> ExpireIfIdleAsync()
    {
        // Never waits: a turn in progress means the conversation is alive (and waiting here while the index waits on
        // this answer could close a cycle with a turn that calls the index).
        if (!await _writes.WaitAsync(TimeSpan.Zero))
        {
            return Log.IsLive ? Log.Entry(Id) : null;
        }

        try
        {
            if (Log.IsExpired)
            {
                await RemoveAsync(fromIndex: false); // the index asking drops the entry itself; calling it back would wait on it
            }

            return Log.IsLive ? Log.Entry(Id) : null;
        }
        finally
        {
            _writes.Release();
        }
    }

    private async IAsyncEnumerable<AskStreamEvent> StreamTurnAsync(string question, SearchOptions options, RagPrincipal caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Query.Retriever.Validate(nameof(question), question, options); // before waiting for the turn before it
        await EnterAsync(cancellationToken);
        try
        {
            await ExpireIfDueAsync();
            if (!Log.IsLive || !Log.CanAccess(caller))
            {
                yield return new AskStreamEvent(AskStreamEventKind.Error, Error: $"Conversation '{Id}' does not exist.");
                yield break;
            }

            await foreach (var item in answers.AskStreamAsync(CollectionKey, question, options, Log.History(), cancellationToken))
            {
                yield return item is { Kind: AskStreamEventKind.Done, Response: { } done } ? item with { Response = await RecordAsync(question, done) } : item;
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Stores the answered turn (under the write lock) and returns the answer marked with it.</summary>
    private async Task<AskResponse> RecordAsync(string question, AskResponse response)
    {
        var turn = Log.Append(question, response);
        await state.WriteStateAsync();
        if (turn.N == 1 || time.GetUtcNow() - _indexedAt >= IndexRefresh)
        {
            await FlushIndexAsync();
        }
        else
        {
            // Refreshed later (once), so a burst of turns leaves the listing right within IndexRefresh.
            _indexFlush ??= this.RegisterGrainTimer(async () =>
            {
                _indexFlush?.Dispose();
                _indexFlush = null;
                if (state.State.Exists)
                {
                    await FlushIndexAsync();
                }
            }, new GrainTimerCreationOptions { DueTime = IndexRefresh - (time.GetUtcNow() - _indexedAt), Period = Timeout.InfiniteTimeSpan, Interleave = true });
        }

        return response with { ConversationId = Id, Turn = turn.N };
    }

    private async Task FlushIndexAsync()
    {
        await IndexUpdateAsync(Log.Entry(Id)); // one-way: the turn does not wait for the listing
        _indexedAt = time.GetUtcNow();
    }

    /// <summary>Takes the write lock, waiting at most <see cref="TurnWait"/> for a turn in progress.</summary>
    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        if (!await _writes.WaitAsync(TurnWait, cancellationToken))
        {
            throw new ConversationConflictException($"An earlier turn of conversation '{Id}' is still being answered; retry when it has finished.");
        }
    }

    /// <summary>Deletes an expired conversation (under the write lock, which the caller holds).</summary>
    private async Task ExpireIfDueAsync()
    {
        if (Log.IsExpired)
        {
            await RemoveAsync(fromIndex: true);
        }
    }

    private async Task ExpireAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        try
        {
            await ExpireIfDueAsync();
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task RemoveAsync(bool fromIndex)
    {
        var index = Index(); // keyed by the owner, which clearing forgets
        await state.ClearStateAsync();
        state.State = new ConversationState();
        _indexFlush?.Dispose();
        _indexFlush = null;
        if (fromIndex)
        {
            await IndexRemoveAsync(index);
        }

        DeactivateOnIdle();
    }

    /// <summary>
    /// The caller's principal: the one the cluster verified for this request, the local admin in the open mode
    /// (which carries none).
    /// </summary>
    private static RagPrincipal Caller() =>
        RagPrincipal.FromContextValue(RequestContext.Get(RagRequestContext.Principal)) ?? RagPrincipal.LocalAdmin;

    // The index belongs to the conversation grains: these calls go as the silo's own (the caller's principal is dropped
    // for the call, inside these methods only), so a reader's key cannot edit the index directly.
    private async Task<bool> IndexAddAsync(ConversationEntry entry)
    {
        RequestContext.Remove(RagRequestContext.Principal);
        return await Index().AddAsync(entry);
    }

    private async Task IndexUpdateAsync(ConversationEntry entry)
    {
        RequestContext.Remove(RagRequestContext.Principal);
        await Index().UpdateAsync(entry);
    }

    private async Task IndexRemoveAsync(IConversationIndexGrain index)
    {
        RequestContext.Remove(RagRequestContext.Principal);
        await index.RemoveAsync(Id);
    }

    private IConversationIndexGrain Index() => GrainFactory.GetGrain<IConversationIndexGrain>(GrainKeys.Document(CollectionKey, state.State.Owner));
}
