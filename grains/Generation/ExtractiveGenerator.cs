using System.Numerics.Tensors;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRag.Ingestion;

namespace OrleansRag.Generation;

/// <summary>A sentence from a retrieved chunk, a candidate for quoting.</summary>
public sealed record CandidateSentence(string Text, SearchHit Source, int Position);

/// <summary>
/// Offline answer generation: quotes the sentences of the retrieved chunks that best support the question,
/// each followed by the [n] of its source document. A sentence's support is the cosine similarity of its
/// embedding to the question's, plus weighted shares for the question's content words it contains and for
/// its chunk's retrieval score. Deterministic for the same input.
/// </summary>
public sealed partial class ExtractiveGenerator(int maxSentences, double minScore)
{
    /// <summary>Weight of lexical overlap relative to cosine similarity.</summary>
    public const double OverlapWeight = 0.3;

    /// <summary>Weight of the source chunk's retrieval score.</summary>
    public const double SourceWeight = 0.3;

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

    /// <summary>Splits retrieved chunks into candidate sentences (short fragments and headings are skipped).</summary>
    public static IReadOnlyList<CandidateSentence> Candidates(IEnumerable<SearchHit> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var candidates = new List<CandidateSentence>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var position = 0;
            foreach (var sentence in SentenceSplitter.SplitText(source.Text))
            {
                var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                if (words >= 4 && words <= 80 && seen.Add(sentence))
                {
                    candidates.Add(new CandidateSentence(sentence, source, position));
                }

                position++;
            }
        }

        return candidates;
    }

    /// <summary>Builds the answer from candidates and their unit-length embeddings.</summary>
    public GeneratedAnswer Generate(string question, ReadOnlySpan<float> questionVector, IReadOnlyList<CandidateSentence> candidates, IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(vectors);
        var questionTerms = Terms(question);
        var scored = new List<(CandidateSentence Candidate, double Score)>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var cosine = TensorPrimitives.Dot(questionVector, vectors[i]);
            var score = cosine + OverlapWeight * Overlap(questionTerms, candidates[i].Text) + SourceWeight * candidates[i].Source.Score;
            if (score >= minScore)
            {
                scored.Add((candidates[i], score));
            }
        }

        var chosen = scored
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Candidate.Source.ChunkId, StringComparer.Ordinal)
            .ThenBy(s => s.Candidate.Position)
            .Take(maxSentences)
            .ToList();
        if (chosen.Count == 0)
        {
            return new GeneratedAnswer(NoAnswer, []);
        }

        // Number sources by first appearance in the answer.
        var citations = new List<Citation>();
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var answer = new StringBuilder();
        foreach (var (candidate, _) in chosen)
        {
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

    private static double Overlap(HashSet<string> questionTerms, string sentence)
    {
        if (questionTerms.Count == 0)
        {
            return 0;
        }

        var sentenceTerms = Terms(sentence);
        return questionTerms.Count(sentenceTerms.Contains) / (double)questionTerms.Count;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"[.!?。！？]+[""'”’)\]]*$")]
    private static partial Regex TrailingPunctuation();
}
