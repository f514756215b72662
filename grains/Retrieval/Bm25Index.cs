namespace OrleansRag.Retrieval;

/// <summary>
/// In-memory inverted index over a shard's chunks (title + text, analysed by <see cref="TextAnalyzer"/>) with
/// BM25 scoring (Lucene's formula, k1 = 0.9, b = 0.4 as in Anserini's BEIR runs). Statistics come from the
/// caller, so every shard scores with the collection-wide idf and average length. Not thread-safe: its owner
/// (a shard grain) serialises access.
/// </summary>
public sealed class Bm25Index
{
    public const double K1 = 0.9;
    public const double B = 0.4;

    private readonly Dictionary<string, Dictionary<int, int>> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _slotsByDocument = new(StringComparer.Ordinal);
    private readonly List<Slot?> _slots = [];
    private readonly Stack<int> _free = new();
    private long _totalLength;

    private sealed record Slot(IndexedChunk Chunk, int Length, Dictionary<string, int> TermFrequencies);

    /// <summary>Bytes per distinct term of a chunk: its entry in the chunk's frequencies and in the term's postings.</summary>
    public const int BytesPerTermEntry = 56;

    /// <summary>Bytes per chunk beyond its terms: the slot, its dictionary and the document's slot list.</summary>
    public const int BytesPerChunk = 160;

    public int Count { get; private set; }

    /// <summary>An estimate of the postings' and frequencies' memory (the chunk text is counted by the shard).</summary>
    public long EstimatedBytes { get; private set; }

    public void Upsert(string documentId, IReadOnlyList<IndexedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        Remove(documentId);
        var slots = new List<int>(chunks.Count);
        foreach (var chunk in chunks)
        {
            var terms = TextAnalyzer.Terms(chunk.Title + " " + chunk.Text);
            var frequencies = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var term in terms)
            {
                frequencies[term] = frequencies.GetValueOrDefault(term) + 1;
            }

            var slot = _free.Count > 0 ? _free.Pop() : AddSlot();
            _slots[slot] = new Slot(chunk with { Vector = [] }, terms.Count, frequencies);
            foreach (var (term, tf) in frequencies)
            {
                if (!_postings.TryGetValue(term, out var posting))
                {
                    _postings[term] = posting = [];
                }

                posting[slot] = tf;
            }

            _totalLength += terms.Count;
            EstimatedBytes += BytesPerChunk + ((long)frequencies.Count * BytesPerTermEntry);
            Count++;
            slots.Add(slot);
        }

        _slotsByDocument[documentId] = slots;
    }

    public bool Remove(string documentId)
    {
        if (!_slotsByDocument.Remove(documentId, out var slots))
        {
            return false;
        }

        foreach (var slot in slots)
        {
            var entry = _slots[slot]!;
            foreach (var term in entry.TermFrequencies.Keys)
            {
                var posting = _postings[term];
                posting.Remove(slot);
                if (posting.Count == 0)
                {
                    _postings.Remove(term);
                }
            }

            _totalLength -= entry.Length;
            EstimatedBytes -= BytesPerChunk + ((long)entry.TermFrequencies.Count * BytesPerTermEntry);
            Count--;
            _slots[slot] = null;
            _free.Push(slot);
        }

        return true;
    }

    /// <summary>This shard's share of the statistics for <paramref name="terms"/> (distinct query terms).</summary>
    public Bm25Stats Stats(IReadOnlyList<string> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        return new Bm25Stats(Count, _totalLength, [.. terms.Select(t => (long)(_postings.TryGetValue(t, out var p) ? p.Count : 0))]);
    }

    /// <summary>
    /// Top <paramref name="k"/> chunks (or documents, by their best chunk) by BM25 for the query terms (repeats
    /// count, as in a Lucene bag-of-words query), scored with the collection-wide <paramref name="stats"/>.
    /// </summary>
    public SearchHit[] Search(IReadOnlyList<string> queryTerms, IReadOnlyList<string> distinctTerms, Bm25Stats stats, int k, bool perDocument, Func<string, bool>? allow = null)
    {
        ArgumentNullException.ThrowIfNull(queryTerms);
        ArgumentNullException.ThrowIfNull(distinctTerms);
        ArgumentNullException.ThrowIfNull(stats);
        if (k <= 0 || stats.ChunkCount == 0)
        {
            return [];
        }

        var averageLength = Math.Max(1.0, (double)stats.TotalLength / stats.ChunkCount);
        var scores = new Dictionary<int, double>();
        foreach (var group in queryTerms.GroupBy(t => t, StringComparer.Ordinal))
        {
            if (!_postings.TryGetValue(group.Key, out var posting))
            {
                continue;
            }

            var df = stats.DocumentFrequencies[IndexOf(distinctTerms, group.Key)];
            var idf = Math.Log(1 + (stats.ChunkCount - df + 0.5) / (df + 0.5));
            var weight = idf * group.Count();
            foreach (var (slot, tf) in posting)
            {
                var length = _slots[slot]!.Length;
                var norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / averageLength));
                scores[slot] = scores.GetValueOrDefault(slot) + weight * norm;
            }
        }

        var hits = scores.Select(pair =>
        {
            var chunk = _slots[pair.Key]!.Chunk;
            return SearchHit.Of(chunk, (float)pair.Value);
        });
        if (allow is not null)
        {
            hits = hits.Where(hit => allow(hit.DocumentId));
        }

        return SearchHits.TopK(hits, k, perDocument);
    }

    private int AddSlot()
    {
        _slots.Add(null);
        return _slots.Count - 1;
    }

    private static int IndexOf(IReadOnlyList<string> terms, string term)
    {
        for (var i = 0; i < terms.Count; i++)
        {
            if (string.Equals(terms[i], term, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"'{term}' is not among the distinct query terms.", nameof(terms));
    }
}
