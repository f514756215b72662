using System.Text.Json.Serialization;

namespace OrleansRag;

/// <summary>A numbered source of an answer; the answer's [n] markers point here.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.Citation")]
public sealed record class Citation(
    int N,
    string DocumentId,
    string Title,
    int ChunkIndex,
    string Snippet,
    float Score,
    int? Page = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Link = null)
{
    /// <summary>
    /// Where the original of a cited document opens (GET .../documents/{id}/content), at <paramref name="page"/> for a
    /// paged format (PDF viewers honour <c>#page=N</c>).
    /// </summary>
    public static string ContentLink(string collection, string documentId, int? page) =>
        $"/v1/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(documentId)}/content{(page is { } p ? $"#page={p}" : "")}";
}

/// <summary>Where an answer's time went; <see cref="CondenseMs"/> is the rewrite of a follow-up into a standalone question.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.AskTimings")]
public sealed record class AskTimings(double EmbedMs, double RetrieveMs, double GenerateMs, double TotalMs, double CondenseMs = 0);

/// <summary>
/// An answer. In a conversation (or an ask with history), <see cref="StandaloneQuestion"/> is the question the
/// follow-up was answered as when it was rewritten from the earlier turns, and <see cref="ConversationId"/> and
/// <see cref="Turn"/> say which turn of which stored conversation this is; all three are left out of JSON when null.
/// <see cref="AnswerId"/> names this answer in the collection's query log, for feedback
/// (POST /v1/collections/{c}/answers/{answerId}/feedback); every answer gets its own, a cached one too.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.AskResponse")]
public sealed record class AskResponse(
    string Collection,
    string Question,
    string Answer,
    IReadOnlyList<Citation> Citations,
    AskTimings Timings,
    bool Cached = false,
    bool Degraded = false,
    string? DegradedReason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandaloneQuestion = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ConversationId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Turn = null,
    bool Reranked = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AnswerId = null);

/// <summary>
/// What a generator returns: the answer text and its citations; Degraded when the language model failed and
/// the extractive generator answered instead.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.GeneratedAnswer")]
public sealed record class GeneratedAnswer(string Answer, IReadOnlyList<Citation> Citations, bool Degraded = false, string? DegradedReason = null);

public enum AskStreamEventKind
{
    /// <summary>A piece of the answer's text, in order.</summary>
    Token,

    /// <summary>The last event of a successful stream: the whole answer with citations and timings.</summary>
    Done,

    /// <summary>The stream broke; no further events follow.</summary>
    Error,
}

/// <summary>One event of a streamed answer.</summary>
[GenerateSerializer, Immutable, Alias("OrleansRag.AskStreamEvent")]
public sealed record class AskStreamEvent(AskStreamEventKind Kind, string? Text = null, AskResponse? Response = null, string? Error = null);
