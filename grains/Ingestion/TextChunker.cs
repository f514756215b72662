using OrleansRag.Embedding;

namespace OrleansRag.Ingestion;

/// <summary>
/// A chunk of a document, the word pieces it holds, the pages it spans (when the source has pages) and the heading of the
/// section it is in (when the source has headings).
/// </summary>
public sealed record TextChunk(int Index, string Text, int TokenCount, int? Page = null, int? LastPage = null, string? Section = null);

/// <summary>A paragraph to chunk and the page it is on.</summary>
public readonly record struct PagedParagraph(string Text, int? Page);

/// <summary>
/// Token-aware chunker: packs whole sentences into chunks of at most <c>maxTokens</c> word pieces (counted with
/// the embedding model's own tokenizer), prefers to break at paragraph ends, repeats up to <c>overlapTokens</c>
/// of trailing sentences at the start of the next chunk, and splits only over-long sentences at word boundaries. A
/// sentence that ends its paragraph introducing what follows ("…as follows:") is never left at a chunk's end: it opens
/// the next chunk, with the list or code it introduces. Deterministic: the same text always yields the same chunks.
/// </summary>
public sealed class TextChunker(BertTokenizer tokenizer)
{
    private sealed record Unit(string Text, int Tokens, bool EndsParagraph, int? Page);

    public IReadOnlyList<TextChunk> Chunk(string text, int maxTokens, int overlapTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Chunk(SentenceSplitter.Paragraphs(text).Select(p => new PagedParagraph(p, null)), maxTokens, overlapTokens);
    }

    /// <summary>Chunks paragraphs (one section of a document); chunk indexes start at <paramref name="firstIndex"/>.</summary>
    public IReadOnlyList<TextChunk> Chunk(IEnumerable<PagedParagraph> paragraphs, int maxTokens, int overlapTokens, int firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(paragraphs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 8);
        overlapTokens = Math.Clamp(overlapTokens, 0, maxTokens / 2);

        var units = Units(paragraphs, maxTokens);
        var chunks = new List<TextChunk>();
        var current = new List<Unit>();
        var tokens = 0;
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var full = tokens + unit.Tokens > maxTokens;
            var paragraphBreak = current.Count > 0 && current[^1].EndsParagraph && tokens >= maxTokens / 2
                && tokens + ParagraphTokens(units, i) > maxTokens;
            if (current.Count > 0 && (full || paragraphBreak))
            {
                // A paragraph that ends introducing what follows ("…as follows:") starts the next chunk instead, with
                // the list or code it introduces.
                Unit? carried = null;
                if (current.Count > 1 && current[^1].EndsParagraph && current[^1].Tokens + unit.Tokens <= maxTokens
                    && Extractors.TextStructure.Introduces(current[^1].Text))
                {
                    carried = current[^1];
                    current.RemoveAt(current.Count - 1);
                    tokens -= carried.Tokens;
                }

                chunks.Add(Emit(firstIndex + chunks.Count, current, tokens));
                var overlap = carried is null ? Overlap(current, overlapTokens, maxTokens - unit.Tokens) : [carried];
                current = overlap;
                tokens = overlap.Sum(u => u.Tokens);
            }

            current.Add(unit);
            tokens += unit.Tokens;
        }

        if (current.Count > 0)
        {
            chunks.Add(Emit(firstIndex + chunks.Count, current, tokens));
        }

        return chunks;
    }

    private List<Unit> Units(IEnumerable<PagedParagraph> paragraphs, int maxTokens)
    {
        var units = new List<Unit>();
        foreach (var (paragraph, page) in paragraphs)
        {
            var start = units.Count;
            foreach (var sentence in SentenceSplitter.Sentences(paragraph))
            {
                var count = tokenizer.CountTokens(sentence);
                if (count <= maxTokens)
                {
                    units.Add(new Unit(sentence, count, false, page));
                }
                else
                {
                    units.AddRange(SplitLongSentence(sentence, maxTokens, page));
                }
            }

            if (units.Count > start)
            {
                units[^1] = units[^1] with { EndsParagraph = true };
            }
        }

        return units;
    }

    private IEnumerable<Unit> SplitLongSentence(string sentence, int maxTokens, int? page)
    {
        var words = new List<string>();
        var tokens = 0;
        foreach (var word in sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var count = tokenizer.CountTokens(word);
            if (words.Count > 0 && tokens + count > maxTokens)
            {
                yield return new Unit(string.Join(' ', words), tokens, false, page);
                words.Clear();
                tokens = 0;
            }

            // A single "word" longer than a chunk (a hash, a minified line) is cut by characters.
            if (count > maxTokens)
            {
                var piece = Math.Max(1, word.Length * maxTokens / count / 2);
                for (var offset = 0; offset < word.Length; offset += piece)
                {
                    var part = word.Substring(offset, Math.Min(piece, word.Length - offset));
                    yield return new Unit(part, tokenizer.CountTokens(part), false, page);
                }

                continue;
            }

            words.Add(word);
            tokens += count;
        }

        if (words.Count > 0)
        {
            yield return new Unit(string.Join(' ', words), tokens, false, page);
        }
    }

    private static int ParagraphTokens(List<Unit> units, int from)
    {
        var total = 0;
        for (var i = from; i < units.Count; i++)
        {
            total += units[i].Tokens;
            if (units[i].EndsParagraph)
            {
                break;
            }
        }

        return total;
    }

    private static List<Unit> Overlap(List<Unit> previous, int overlapTokens, int room)
    {
        var overlap = new List<Unit>();
        var budget = Math.Min(overlapTokens, room);
        var used = 0;
        for (var i = previous.Count - 1; i >= 0 && used + previous[i].Tokens <= budget; i--)
        {
            overlap.Insert(0, previous[i]);
            used += previous[i].Tokens;
        }

        return overlap;
    }

    private static TextChunk Emit(int index, List<Unit> units, int tokens)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < units.Count; i++)
        {
            builder.Append(units[i].Text);
            if (i < units.Count - 1)
            {
                builder.Append(units[i].EndsParagraph ? "\n\n" : " ");
            }
        }

        int? first = null, last = null;
        foreach (var unit in units)
        {
            if (unit.Page is { } page)
            {
                first = first is null ? page : Math.Min(first.Value, page);
                last = last is null ? page : Math.Max(last.Value, page);
            }
        }

        return new TextChunk(index, builder.ToString(), tokens, first, last);
    }
}
