using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>What a person thought of an answer.</summary>
public enum AnswerRating
{
    /// <summary>The answer helped.</summary>
    Up,

    /// <summary>The answer was wrong, incomplete or unhelpful.</summary>
    Down,
}

/// <summary>A rating of an answer, with an optional comment, when it was given and by which key.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.AnswerFeedback")]
public sealed record class AnswerFeedback(
    AnswerRating Rating,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Comment,
    DateTimeOffset At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? KeyId = null);

/// <summary>A citation as the query log keeps it: which chunk of which document, and its retrieval score.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.QueryLogCitation")]
public sealed record class QueryLogCitation(int N, string DocumentId, int ChunkIndex, float Score);

/// <summary>
/// One answered question in a collection's query log: the question and (for a follow-up) the standalone question it
/// was answered as, how it was searched, where the time went, what it cited, whether it came from the cache, found
/// nothing or fell back, and the feedback it got. <see cref="KeyId"/> is the API key that asked (null in open mode).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.QueryLogEntry")]
public sealed record class QueryLogEntry(
    string AnswerId,
    DateTimeOffset At,
    string Question,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RewrittenQuestion,
    SearchMode Mode,
    int TopK,
    string Answer,
    IReadOnlyList<QueryLogCitation> Citations,
    AskTimings Timings,
    bool Cached,
    bool NoAnswer,
    bool Degraded,
    bool Reranked,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? KeyId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AnswerFeedback? Feedback = null);

/// <summary>
/// A page of a query log, newest first; <see cref="Next"/> is the cursor of the next (older) page, null on the last.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.QueryLogPage")]
public sealed record class QueryLogPage(string Collection, IReadOnlyList<QueryLogEntry> Entries, string? Next);

/// <summary>
/// Which entries of a query log to read: those older than <see cref="Before"/> (a page's <c>next</c> cursor; null for the
/// newest), at most <see cref="Limit"/>, optionally only those rated <see cref="Rating"/> or only the no-answers.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.QueryLogQuery")]
public sealed record class QueryLogQuery(string? Before = null, int Limit = 50, AnswerRating? Rating = null, bool? NoAnswer = null)
{
    public const int MaxLimit = 500;
}
