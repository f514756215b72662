using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>
/// One earlier exchange of a conversation as the answer path sees it: what was asked, the question it was answered
/// as (the standalone rewrite, when there was one), the answer, and the title of the document the answer cited first.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ChatTurn")]
public sealed record class ChatTurn(
    string Question,
    string Answer,
    string? StandaloneQuestion = null,
    string? CitedTitle = null)
{
    /// <summary>The question as it was answered: the rewrite when there was one.</summary>
    [JsonIgnore]
    public string AnsweredQuestion => StandaloneQuestion ?? Question;
}

/// <summary>One turn of a stored conversation: the question, how it was answered, the answer and its citations.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ConversationTurn")]
public sealed record class ConversationTurn(
    int N,
    string Question,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandaloneQuestion,
    string Answer,
    IReadOnlyList<Citation> Citations,
    DateTimeOffset At,
    bool Degraded = false)
{
    /// <summary>The turn as the answer path takes it for history.</summary>
    public ChatTurn ToChatTurn() => new(Question, Answer, StandaloneQuestion, Citations.Count > 0 ? Citations[0].Title : null);
}

/// <summary>What a conversation is, without its turns (for listings).</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ConversationInfo")]
public sealed record class ConversationInfo(
    string Id,
    string Collection,
    string? Title,
    int TurnCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    DateTimeOffset ExpiresAt);

/// <summary>A conversation with the turns it keeps (the last <c>Conversations:MaxTurns</c>).</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.Conversation")]
public sealed record class Conversation(
    string Id,
    string Collection,
    string? Title,
    int TurnCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<ConversationTurn> Turns);

/// <summary>An entry of a collection's conversation index: who owns the conversation and when it was last active.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.ConversationEntry")]
public sealed record class ConversationEntry(
    string Id,
    string Owner,
    string? Title,
    int TurnCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastActiveAt);
