using OrleansRag.Security;

namespace OrleansRag.Conversations;

/// <summary>A conversation's persisted state.</summary>
[GenerateSerializer, Alias("OrleansRag.ConversationState")]
public sealed class ConversationState
{
    [Id(0)] public bool Exists { get; set; }

    /// <summary>The id of the key that created it ("local" in the open mode).</summary>
    [Id(1)] public string Owner { get; set; } = "";

    [Id(2)] public DateTimeOffset CreatedAt { get; set; }

    [Id(3)] public DateTimeOffset LastActiveAt { get; set; }

    /// <summary>The kept turns, oldest first.</summary>
    [Id(4)] public List<ConversationTurn> Turns { get; set; } = [];

    /// <summary>Turns ever answered (numbers keep counting when old turns are dropped).</summary>
    [Id(5)] public int TurnCount { get; set; }

    /// <summary>The first question, shortened: what the conversation is listed as.</summary>
    [Id(6)] public string? Title { get; set; }
}

/// <summary>
/// The rules of a conversation, apart from the grain that stores it: who may see it, when it has expired, how a
/// turn is added (numbered, the oldest dropped beyond <see cref="ConversationOptions.MaxTurns"/>, the first question
/// as title) and what it looks like from outside.
/// </summary>
public sealed class ConversationLog(ConversationState state, ConversationOptions options, TimeProvider time)
{
    /// <summary>Longest title kept (characters).</summary>
    public const int MaxTitleChars = 80;

    public ConversationState State => state;

    /// <summary>Whether it exists and has had a turn (or was created) within the idle TTL.</summary>
    public bool IsLive => state.Exists && !IsExpired;

    /// <summary>It exists but has been idle longer than the TTL.</summary>
    public bool IsExpired => state.Exists && time.GetUtcNow() >= ExpiresAt;

    public DateTimeOffset ExpiresAt => state.LastActiveAt + options.IdleTtl;

    /// <summary>The owner, an admin of its tenant (the filter already keeps other tenants out) and the silo itself may use it.</summary>
    public bool CanAccess(RagPrincipal caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.IsInternal || caller.Has(RagRole.Admin) || string.Equals(caller.KeyId, state.Owner, StringComparison.Ordinal);
    }

    public void Start(string owner)
    {
        var now = time.GetUtcNow();
        state.Exists = true;
        state.Owner = owner;
        state.CreatedAt = now;
        state.LastActiveAt = now;
        state.Turns = [];
        state.TurnCount = 0;
        state.Title = null;
    }

    /// <summary>The kept turns as the answer path takes them, oldest first.</summary>
    public IReadOnlyList<ChatTurn> History() => [.. state.Turns.Select(t => t.ToChatTurn())];

    /// <summary>Adds the answered turn and returns it.</summary>
    public ConversationTurn Append(string question, AskResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var now = time.GetUtcNow();
        var turn = new ConversationTurn(state.TurnCount + 1, question, response.StandaloneQuestion, response.Answer, response.Citations, now, response.Degraded);
        state.Turns.Add(turn);
        if (state.Turns.Count > options.MaxTurns)
        {
            state.Turns.RemoveRange(0, state.Turns.Count - options.MaxTurns);
        }

        state.TurnCount = turn.N;
        state.LastActiveAt = now;
        state.Title ??= ConversationHistory.Shorten(question.ReplaceLineEndings(" "), MaxTitleChars);
        return turn;
    }

    public ConversationInfo Info(string id, string collection) =>
        new(id, collection, state.Title, state.TurnCount, state.CreatedAt, state.LastActiveAt, ExpiresAt);

    public Conversation View(string id, string collection) =>
        new(id, collection, state.Title, state.TurnCount, state.CreatedAt, state.LastActiveAt, ExpiresAt, [.. state.Turns]);

    public ConversationEntry Entry(string id) => new(id, state.Owner, state.Title, state.TurnCount, state.CreatedAt, state.LastActiveAt);
}
