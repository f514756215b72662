using System.Numerics.Tensors;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRag.Ingestion;

namespace OrleansRag.Generation;

/// <summary>
/// A sentence from a retrieved chunk, a candidate for quoting: its cleaned text, its source, its place in the
/// chunk and, when the chunk carries sentence vectors, the index of its stored vector (-1 when it has none).
/// </summary>
public sealed record CandidateSentence(string Text, SearchHit Source, int Position, int StoredVector = -1);

/// <summary>
/// Offline answer generation: quotes the sentences of the retrieved chunks that best support the question,
/// each followed by the [n] of its source document. A sentence's support is the cosine similarity of its
/// embedding to the question's, plus weighted shares for the question's content words it contains and for
/// its chunk's retrieval score. The answer keeps to the best-supported document; a sentence of another joins
/// only when it is nearly as well supported and covers a question word the answer lacks. Sentences are quoted
/// in document order within each source. Deterministic for the same input.
/// </summary>
public sealed partial class ExtractiveGenerator(int maxSentences, double minScore)
{
    /// <summary>Weight of lexical overlap relative to cosine similarity.</summary>
    public const double OverlapWeight = 0.3;

    /// <summary>Weight of the source chunk's retrieval score.</summary>
    public const double SourceWeight = 0.3;

    /// <summary>How far below the best sentence another sentence of the best document may score and still be quoted.</summary>
    public const double SameSourceMargin = 0.25;

    /// <summary>How far below the best sentence a sentence of another document may score and still be quoted.</summary>
    public const double OtherSourceMargin = 0.08;

    public const string NoAnswer = "I could not find an answer to that question in this collection.";

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from",
        "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our",
        "should", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
        "was", "we", "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "you", "your",
        "about", "after", "before", "between", "during", "not", "no", "yes", "all", "any", "each", "more", "most", "some",
        "such", "other", "only", "own", "same", "too", "very", "just", "also", "tell", "explain", "describe", "use", "used",
    };

    /// <summary>
    /// The quotable sentences of retrieved chunks: the chunk's stored sentences when it has them, else its text
    /// split; cleaned (<see cref="Clean"/>), without headings, fragments or repeats.
    /// </summary>
    public static IReadOnlyList<CandidateSentence> Candidates(IEnumerable<SearchHit> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var candidates = new List<CandidateSentence>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (source.Sentences is { } stored)
            {
                for (var k = 0; k < stored.Count; k++)
                {
                    var (start, length) = stored.Span(k);
                    if (start + length <= source.Text.Length)
                    {
                        Consider(source.Text.Substring(start, length), source, k, k);
                    }
                }
            }
            else
            {
                var position = 0;
                foreach (var sentence in SentenceSplitter.SplitText(source.Text))
                {
                    Consider(sentence, source, position++, -1);
                }
            }
        }

        return candidates;

        void Consider(string sentence, SearchHit source, int position, int storedVector)
        {
            var text = Clean(sentence);
            if (Quotable(text) && seen.Add(text))
            {
                candidates.Add(new CandidateSentence(text, source, position, storedVector));
            }
        }
    }

    /// <summary>
    /// Layout artefacts out of a sentence: a capitalised heading glued to its start ("DESCRIPTION The default
    /// signal..." → "The default signal..."), words split by a hyphenated line break ("sig‐ nal" → "signal").
    /// </summary>
    public static string Clean(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var text = GluedHeading().Replace(sentence, "", 1);
        text = BrokenWord().Replace(text, "$1$2");
        return text.Trim();
    }

    /// <summary>Prose worth quoting: 4 to 80 words, with lower-case letters, not a bare heading.</summary>
    private static bool Quotable(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return words >= 4 && words <= 80 && text.Any(char.IsLower) && (words >= 8 || TrailingPunctuation().IsMatch(text));
    }

    /// <summary>Builds the answer from candidates and their unit-length embeddings.</summary>
    public GeneratedAnswer Generate(string question, ReadOnlySpan<float> questionVector, IReadOnlyList<CandidateSentence> candidates, IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(vectors);
        var questionTerms = Terms(question);
        var scored = new List<Scored>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var cosine = TensorPrimitives.Dot(questionVector, vectors[i]);
            var terms = Terms(candidates[i].Text);
            var overlap = questionTerms.Count == 0 ? 0 : questionTerms.Count(terms.Contains) / (double)questionTerms.Count;
            var score = cosine + OverlapWeight * overlap + SourceWeight * candidates[i].Source.Score;
            if (score >= minScore)
            {
                scored.Add(new Scored(candidates[i], score, terms));
            }
        }

        if (scored.Count == 0)
        {
            return new GeneratedAnswer(NoAnswer, []);
        }

        scored.Sort(static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            if (byScore != 0)
            {
                return byScore;
            }

            var byChunk = string.CompareOrdinal(a.Candidate.Source.ChunkId, b.Candidate.Source.ChunkId);
            return byChunk != 0 ? byChunk : a.Candidate.Position.CompareTo(b.Candidate.Position);
        });

        var best = scored[0];
        var bestDocument = best.Candidate.Source.DocumentId;
        var chosen = new List<Scored> { best };
        var covered = new HashSet<string>(questionTerms.Where(best.Terms.Contains), StringComparer.Ordinal);
        foreach (var next in scored.Skip(1))
        {
            if (chosen.Count == maxSentences)
            {
                break;
            }

            var sameSource = next.Candidate.Source.DocumentId == bestDocument;
            var addsSupport = sameSource
                ? next.Score >= best.Score - SameSourceMargin
                : next.Score >= best.Score - OtherSourceMargin && questionTerms.Any(t => next.Terms.Contains(t) && !covered.Contains(t));
            if (addsSupport)
            {
                chosen.Add(next);
                covered.UnionWith(questionTerms.Where(next.Terms.Contains));
            }
        }

        // Quote source by source (the best first), each in document order.
        var sourceRank = chosen.Select(c => c.Candidate.Source.DocumentId).Distinct(StringComparer.Ordinal)
            .Select((id, rank) => (id, rank)).ToDictionary(p => p.id, p => p.rank, StringComparer.Ordinal);
        var ordered = chosen
            .OrderBy(c => sourceRank[c.Candidate.Source.DocumentId])
            .ThenBy(c => c.Candidate.Source.ChunkIndex)
            .ThenBy(c => c.Candidate.Position)
            .ToList();

        // Number sources by first appearance in the answer.
        var citations = new List<Citation>();
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var answer = new StringBuilder();
        foreach (var item in ordered)
        {
            var candidate = item.Candidate;
            var source = candidate.Source;
            if (!numbers.TryGetValue(source.DocumentId, out var n))
            {
                n = citations.Count + 1;
                numbers[source.DocumentId] = n;
                citations.Add(new Citation(n, source.DocumentId, source.Title, source.ChunkIndex, candidate.Text, source.Score, source.Page));
            }

            if (answer.Length > 0)
            {
                answer.Append(' ');
            }

            answer.Append(WithMarker(candidate.Text, n));
        }

        return new GeneratedAnswer(answer.ToString(), citations);
    }

    private sealed record Scored(CandidateSentence Candidate, double Score, HashSet<string> Terms);

    /// <summary>"Grains are actors." + 2 -> "Grains are actors [2]."</summary>
    public static string WithMarker(string sentence, int n)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var match = TrailingPunctuation().Match(sentence);
        return match.Success && match.Index > 0
            ? $"{sentence[..match.Index]} [{n}]{match.Value}"
            : $"{sentence} [{n}]";
    }

    private static HashSet<string> Terms(string text) =>
        [.. Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length > 1 && !StopWords.Contains(w))];

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"[.!?。！？]+[""'”’)\]]*$")]
    private static partial Regex TrailingPunctuation();

    // One or more upper-case words (a man page's "EXIT STATUS") before a capitalised word in lower case.
    [GeneratedRegex(@"^(?:\p{Lu}[\p{Lu}\p{N}_-]{3,}\s+)+(?=\p{Lu}\p{Ll})")]
    private static partial Regex GluedHeading();

    // A word broken by a hyphen at a line end, after the line break became a space: "sig‐ nal", "sig- nal".
    [GeneratedRegex(@"(\p{Ll})[\u2010\u00AD-] (?!(?:and|or|nor|to)\b)(\p{Ll})")]
    private static partial Regex BrokenWord();
}
