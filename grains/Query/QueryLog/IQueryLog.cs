using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// Where query-log entries live, per collection (key tenant/collection), ordered by answer id: ids are version 7
/// UUIDs, whose hexadecimal form sorts by the millisecond they were made in, so "older than" is "less than".
/// </summary>
public interface IQueryLog
{
    Task AppendAsync(string collectionKey, QueryLogEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the entry's feedback (replacing any earlier): whether the entry was found (not when it never was or expired),
    /// and the rating it replaced.
    /// </summary>
    Task<(bool Found, AnswerRating? Previous)> RateAsync(string collectionKey, string answerId, AnswerFeedback feedback, CancellationToken cancellationToken);

    /// <summary>Entries older than the query's cursor, newest first, that match its filters; the cursor of the next page.</summary>
    Task<(IReadOnlyList<QueryLogEntry> Entries, string? Next)> ReadAsync(string collectionKey, QueryLogQuery query, CancellationToken cancellationToken);

    /// <summary>Forgets a collection's log (the collection was deleted).</summary>
    Task ClearAsync(string collectionKey, CancellationToken cancellationToken);
}

/// <summary>The rules every store shares: answer ids, the retention cut-off, the filters and the entries' JSON.</summary>
public static class QueryLogIds
{
    /// <summary>A new answer id: a version 7 UUID made at <paramref name="now"/>, as 32 lower-case hexadecimal digits.</summary>
    public static string New(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    /// <summary>The smallest id that could be made at <paramref name="time"/>: every id made before it sorts lower.</summary>
    public static string Floor(DateTimeOffset time) =>
        Math.Max(0, time.ToUnixTimeMilliseconds()).ToString("x12", CultureInfo.InvariantCulture) + new string('0', 20);

    /// <summary>Whether an entry passes a query's filters.</summary>
    public static bool Matches(QueryLogEntry entry, QueryLogQuery query) =>
        (query.Rating is null || entry.Feedback?.Rating == query.Rating) && (query.NoAnswer is null || entry.NoAnswer == query.NoAnswer);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
