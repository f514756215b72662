using Microsoft.Extensions.Options;

namespace OrleansRag.Query.QueryLog;

/// <summary>
/// The embedded default's query log: this silo's memory, at most <see cref="QueryLogOptions.MaxEntries"/> entries of
/// all collections together (the oldest go first), none older than the retention.
/// </summary>
public sealed class MemoryQueryLog(IOptions<QueryLogOptions> options, TimeProvider time) : IQueryLog
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SortedList<string, QueryLogEntry>> _collections = new(StringComparer.Ordinal);
    private readonly Queue<(string Collection, string Id)> _order = new();
    private int _count;

    public Task AppendAsync(string collectionKey, QueryLogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            if (!_collections.TryGetValue(collectionKey, out var entries))
            {
                _collections[collectionKey] = entries = new SortedList<string, QueryLogEntry>(StringComparer.Ordinal);
            }

            if (entries.TryAdd(entry.AnswerId, entry))
            {
                _order.Enqueue((collectionKey, entry.AnswerId));
                _count++;
            }

            var floor = QueryLogIds.Floor(time.GetUtcNow() - options.Value.Retention);
            while (_order.TryPeek(out var oldest) && (_count > options.Value.MaxEntries || string.CompareOrdinal(oldest.Id, floor) < 0))
            {
                _order.Dequeue();
                if (_collections.TryGetValue(oldest.Collection, out var held) && held.Remove(oldest.Id))
                {
                    _count--;
                    if (held.Count == 0)
                    {
                        _collections.Remove(oldest.Collection);
                    }
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<(bool Found, AnswerRating? Previous)> RateAsync(string collectionKey, string answerId, AnswerFeedback feedback, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_collections.TryGetValue(collectionKey, out var entries) && entries.TryGetValue(answerId, out var entry) && !Expired(answerId))
            {
                entries[answerId] = entry with { Feedback = feedback };
                return Task.FromResult<(bool, AnswerRating?)>((true, entry.Feedback?.Rating));
            }
        }

        return Task.FromResult<(bool, AnswerRating?)>((false, null));
    }

    public Task<(IReadOnlyList<QueryLogEntry> Entries, string? Next)> ReadAsync(string collectionKey, QueryLogQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = new List<QueryLogEntry>();
        string? next = null;
        lock (_gate)
        {
            if (_collections.TryGetValue(collectionKey, out var entries))
            {
                var keys = entries.Keys;
                for (var i = keys.Count - 1; i >= 0; i--)
                {
                    var id = keys[i];
                    if (query.Before is not null && string.CompareOrdinal(id, query.Before) >= 0)
                    {
                        continue;
                    }

                    if (Expired(id))
                    {
                        break;
                    }

                    if (QueryLogIds.Matches(entries.Values[i], query))
                    {
                        if (page.Count == query.Limit)
                        {
                            next = page[^1].AnswerId;
                            break;
                        }

                        page.Add(entries.Values[i]);
                    }
                }
            }
        }

        return Task.FromResult<(IReadOnlyList<QueryLogEntry>, string?)>((page, next));
    }

    public Task ClearAsync(string collectionKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_collections.Remove(collectionKey, out var entries))
            {
                _count -= entries.Count; // their places in the order queue are skipped when they come up
            }
        }

        return Task.CompletedTask;
    }

    private bool Expired(string id) => string.CompareOrdinal(id, QueryLogIds.Floor(time.GetUtcNow() - options.Value.Retention)) < 0;
}
