using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.RegularExpressions;
using OrleansRag.Ingestion;
using ChunkMap = System.Collections.Generic.Dictionary<(string Document, int Chunk), (string ChunkId, System.Collections.Generic.IReadOnlyList<OrleansRag.Generation.ChunkParagraph> Layout)>;

namespace OrleansRag.Generation;

/// <summary>
/// A sentence from a retrieved chunk, a candidate for quoting: its cleaned text, its source, its place in the
/// chunk and, when the chunk carries sentence vectors, the index of its stored vector (-1 when it has none); the
/// chunk's <see cref="Layout"/>, the <see cref="Paragraph"/> it is in (-1 when unknown) and whether it ends it.
/// </summary>
public sealed record CandidateSentence(string Text, SearchHit Source, int Position, int StoredVector = -1,
    IReadOnlyList<ChunkParagraph>? Layout = null, int Paragraph = -1, bool EndsParagraph = false)
{
    /// <summary>The paragraph after this sentence's, when the sentence ends its paragraph.</summary>
    public ChunkParagraph? Next => EndsParagraph && Layout is { } layout && Paragraph >= 0 && Paragraph + 1 < layout.Count ? layout[Paragraph + 1] : null;

    /// <summary>The paragraph before this sentence's, when the sentence opens its paragraph.</summary>
    public ChunkParagraph? Previous { get; init; }
}

/// <summary>
/// Offline answer generation: quotes the sentences of the retrieved chunks that best support the question,
/// each followed by the [n] of its source document. A sentence's support is the cosine similarity of its
/// embedding to the question's, plus weighted shares for the question's content words it contains and for
/// its chunk's retrieval score. The answer keeps to the best-supported document; a sentence of another joins
/// only when it is nearly as well supported and covers a question word the answer lacks. Sentences are quoted
/// in document order within each source. Deterministic for the same input.
/// <para>
/// What the question asks for (<see cref="QuestionShape"/>) shapes the answer: a sentence that introduces a list or a
/// code block ("…as follows:") brings its items or lines, in order, within <see cref="ContinuationBudget"/>; a list
/// question brings the whole list of an item it quotes; "what is X" prefers the sentence that defines X (or the first
/// sentence under X's signature in an API reference); "how do I" prefers a sentence followed by code and brings the
/// code; a comparison brings a sentence for each side. Code lines, headings, captions and signatures
/// (<see cref="ChunkLayout"/>) are never quoted as sentences.
/// </para>
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

    /// <summary>Support added to a sentence that defines what a "what is X" question asks about.</summary>
    public const double DefinitionBonus = 0.15;

    /// <summary>Support added to a sentence that introduces a list (list questions) or code (procedures).</summary>
    public const double IntroductionBonus = 0.1;

    /// <summary>Characters of list items and code lines an answer may bring after the sentences that introduce them.</summary>
    public const int ContinuationBudget = 900;

    /// <summary>Items or lines one introduction may bring.</summary>
    public const int MaxContinuation = 12;

    /// <summary>Code lines a procedure's sentence brings when nothing introduces them.</summary>
    public const int MaxCodeLines = 8;

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
            var layout = ChunkLayout.Of(source.Text);
            if (source.Sentences is { } stored)
            {
                for (var k = 0; k < stored.Count; k++)
                {
                    var (start, length) = stored.Span(k);
                    if (start + length <= source.Text.Length)
                    {
                        Consider(source.Text.Substring(start, length), source, k, k, start);
                    }
                }
            }
            else if (SentenceSplitter.Spans(source.Text) is { } spans)
            {
                for (var k = 0; k < spans.Count; k++)
                {
                    Consider(source.Text.Substring(spans[k].Start, spans[k].Length), source, k, -1, spans[k].Start);
                }
            }
            else
            {
                var position = 0;
                foreach (var sentence in SentenceSplitter.SplitText(source.Text))
                {
                    Consider(sentence, source, position++, -1, -1);
                }
            }

            void Consider(string sentence, SearchHit hit, int position, int storedVector, int offset)
            {
                var paragraph = offset < 0 ? -1 : ChunkLayout.IndexAt(layout, offset);
                if (paragraph >= 0 && layout[paragraph].Kind is ParagraphKind.Code or ParagraphKind.Label)
                {
                    return; // code lines, headings, captions and signatures are never quoted as sentences
                }

                var text = Clean(sentence);
                if (Quotable(text) && seen.Add(text))
                {
                    // The paragraph's end, or only a footnote mark or punctuation after it.
                    var ends = paragraph >= 0 && !HasLetter(source.Text.AsSpan(offset + sentence.Length, Math.Max(0, layout[paragraph].End - offset - sentence.Length)));
                    var opens = paragraph >= 0 && offset <= layout[paragraph].Start + 1;
                    candidates.Add(new CandidateSentence(text, hit, position, storedVector, layout, paragraph, ends)
                    {
                        Previous = opens && paragraph > 0 ? layout[paragraph - 1] : null,
                    });
                }
            }
        }

        return candidates;
    }

    private static bool HasLetter(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (char.IsLetter(c))
            {
                return true;
            }
        }

        return false;
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
        var shape = QuestionShape.Of(question);
        var all = new List<Scored>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var cosine = TensorPrimitives.Dot(questionVector, vectors[i]);
            // A sentence right under a heading or signature also speaks of what that label names.
            var terms = candidates[i].Previous is { Kind: ParagraphKind.Label } label ? Terms(candidates[i].Text + " " + label.Text) : Terms(candidates[i].Text);
            var overlap = questionTerms.Count == 0 ? 0 : questionTerms.Count(terms.Contains) / (double)questionTerms.Count;
            var score = cosine + OverlapWeight * overlap + SourceWeight * candidates[i].Source.Score;
            all.Add(new Scored(candidates[i], score + Bonus(shape, candidates[i], terms), terms));
        }

        var scored = all.Where(c => c.Score >= minScore).ToList();
        if (scored.Count == 0)
        {
            return new GeneratedAnswer(NoAnswer, []);
        }

        all.Sort(ByScore);
        scored.Sort(ByScore);
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

        if (shape.Kind == QuestionKind.Comparison)
        {
            CoverBothSides(shape, chosen, all);
        }

        // The chunks retrieved, by document and index: a list or code block cut by a chunk's end goes on in the next one.
        var chunks = new ChunkMap();
        foreach (var candidate in candidates)
        {
            if (candidate.Layout is { } layout)
            {
                chunks.TryAdd((candidate.Source.DocumentId, candidate.Source.ChunkIndex), (candidate.Source.ChunkId, layout));
            }
        }

        return Compose(shape, chosen, chunks);
    }

    /// <summary>
    /// The paragraphs after a sentence's own, in its chunk and then, when the chunk after it was retrieved too, in that
    /// one (past the sentences the chunker repeated at its start).
    /// </summary>
    private static IEnumerable<(string Chunk, int Index, ChunkParagraph Paragraph)> Following(CandidateSentence candidate, ChunkMap chunks)
    {
        if (candidate.Layout is not { } layout || candidate.Paragraph < 0)
        {
            yield break;
        }

        for (var i = candidate.Paragraph + 1; i < layout.Count; i++)
        {
            yield return (candidate.Source.ChunkId, i, layout[i]);
        }

        if (!chunks.TryGetValue((candidate.Source.DocumentId, candidate.Source.ChunkIndex + 1), out var next))
        {
            yield break;
        }

        var tail = layout.Skip(candidate.Paragraph).Select(p => p.Text).ToList();
        var j = 0;
        while (j < next.Layout.Count && tail.Any(t => t.EndsWith(next.Layout[j].Text, StringComparison.Ordinal)))
        {
            j++;
        }

        for (; j < next.Layout.Count; j++)
        {
            yield return (next.ChunkId, j, next.Layout[j]);
        }
    }

    private sealed record Scored(CandidateSentence Candidate, double Score, HashSet<string> Terms);

    private static int ByScore(Scored a, Scored b)
    {
        var byScore = b.Score.CompareTo(a.Score);
        if (byScore != 0)
        {
            return byScore;
        }

        var byChunk = string.CompareOrdinal(a.Candidate.Source.ChunkId, b.Candidate.Source.ChunkId);
        return byChunk != 0 ? byChunk : a.Candidate.Position.CompareTo(b.Candidate.Position);
    }

    /// <summary>What the question's kind adds to a sentence's support.</summary>
    private static double Bonus(QuestionShape shape, CandidateSentence candidate, HashSet<string> terms)
    {
        var next = candidate.Next?.Kind;
        var introduces = ChunkLayout.Introduces(candidate.Text) && next is ParagraphKind.ListItem or ParagraphKind.Code;
        return shape.Kind switch
        {
            QuestionKind.Definition when shape.Term is { } term && Defines(candidate, terms, term) => DefinitionBonus,
            QuestionKind.Comparison when new[] { shape.SideA, shape.SideB }.Any(side => side is not null && Defines(candidate, terms, side)) => DefinitionBonus,
            QuestionKind.List when introduces && next == ParagraphKind.ListItem => IntroductionBonus,
            QuestionKind.Procedure when next == ParagraphKind.Code || LeadsToCode(candidate) => IntroductionBonus,
            _ => 0,
        };
    }

    /// <summary>Whether the rest of the sentence's paragraph introduces a code block that follows it.</summary>
    private static bool LeadsToCode(CandidateSentence candidate) =>
        candidate.Layout is { } layout && candidate.Paragraph >= 0 && candidate.Paragraph + 1 < layout.Count
        && layout[candidate.Paragraph + 1].Kind == ParagraphKind.Code && ChunkLayout.Introduces(layout[candidate.Paragraph].Text);

    /// <summary>
    /// Whether the sentence defines <paramref name="term"/>: the term's words within its first words, followed by "is",
    /// "are", "refers to" and the like; or it opens the paragraph under a signature or heading that names the term.
    /// </summary>
    private static bool Defines(CandidateSentence candidate, HashSet<string> terms, string term)
    {
        if (Under(candidate, term))
        {
            return true;
        }

        // The term's words (of a dotted name, its last part: "functools.partial()" is "partial"); its last word and most
        // of the others must open the sentence, followed by "is", "are", "refers to" … or by an apposition (", a …").
        var termWords = TermWords(term);
        if (termWords.Count == 0 || !terms.Contains(termWords[^1]) || termWords.Count(terms.Contains) * 3 < termWords.Count * 2)
        {
            return false;
        }

        var lower = candidate.Text.ToLowerInvariant();
        var opening = Word().Matches(lower).Take(14).Select(m => m.Value).ToList();
        var last = opening.LastIndexOf(termWords[^1]);
        return last >= 0 && (opening.Skip(last + 1).Take(4).Any(Copulas.Contains)
            || lower.Contains($"{termWords[^1]}, a ", StringComparison.Ordinal) || lower.Contains($"{termWords[^1]}, an ", StringComparison.Ordinal)
            || lower.Contains($"{termWords[^1]}, the ", StringComparison.Ordinal));
    }

    /// <summary>Whether the sentence is about <paramref name="words"/>: all of them in it, the first among its opening words.</summary>
    private static bool Leads(CandidateSentence candidate, HashSet<string> words)
    {
        var opening = Word().Matches(candidate.Text.ToLowerInvariant()).Select(m => m.Value).ToList();
        return words.Count > 0 && words.All(opening.Contains) && opening.Take(4).Any(words.Contains);
    }

    /// <summary>The content words of a term, a dotted or called name reduced to its last part.</summary>
    private static List<string> TermWords(string term) =>
        [.. Word().Matches(DottedName().Replace(term.ToLowerInvariant(), m => m.Groups["last"].Value)).Select(m => m.Value).Where(w => w.Length > 1 && !StopWords.Contains(w))];

    /// <summary>
    /// Whether the sentence opens the paragraph under a label (a signature, a heading, an option) that names
    /// <paramref name="subject"/>: its most specific token ("shutil.which", "--no-checkout"), as a whole name.
    /// </summary>
    private static bool Under(CandidateSentence candidate, string subject)
    {
        if (candidate.Previous is not { Kind: ParagraphKind.Label } label)
        {
            return false;
        }

        var tokens = subject.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Replace("()", "", StringComparison.Ordinal).Trim('"', '\'', '`', ','))
            .Where(t => t.Length > 1).ToList();
        var name = tokens.FirstOrDefault(t => t.Any(c => c is '.' or '-' or '_')) ?? (tokens.Count == 1 ? tokens[0] : string.Join(' ', tokens));
        return name.Length > 1 && NamesWhole(label.Text, name);
    }

    /// <summary>Whether <paramref name="text"/> has <paramref name="name"/> as a whole name (not inside a longer one), case aside.</summary>
    private static bool NamesWhole(string text, string name)
    {
        for (var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(name, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = at == 0 ? ' ' : text[at - 1];
            var after = at + name.Length == text.Length ? ' ' : text[at + name.Length];
            if (!char.IsLetterOrDigit(before) && before is not ('_' or '.' or '-') && !char.IsLetterOrDigit(after) && after != '_')
            {
                return true;
            }
        }

        return false;
    }

    private static readonly HashSet<string> Copulas = new(StringComparer.Ordinal)
    {
        "is", "are", "refers", "means", "denotes", "represents", "describes", "provides", "returns", "return", "creates", "wraps", "was", "were",
        "lets", "allows", "holds", "contains", "stores", "defines",
    };

    /// <summary>
    /// Adds, for a side of a comparison no quoted sentence says what it is of (defines it, or stands under its label), the
    /// best-supported sentence that does.
    /// </summary>
    private void CoverBothSides(QuestionShape shape, List<Scored> chosen, List<Scored> all)
    {
        var a = Terms(shape.SideA ?? "");
        var b = Terms(shape.SideB ?? "");
        var onlyA = a.Except(b).ToHashSet(StringComparer.Ordinal);
        var onlyB = b.Except(a).ToHashSet(StringComparer.Ordinal);
        foreach (var (side, words) in new[] { (shape.SideA, onlyA), (shape.SideB, onlyB) })
        {
            if (side is null || words.Count == 0)
            {
                continue;
            }

            bool Speaks(Scored s) => Under(s.Candidate, side) || Defines(s.Candidate, s.Terms, side) || Leads(s.Candidate, words);
            if (!chosen.Any(Speaks) && all.FirstOrDefault(s => Speaks(s) && s.Score >= minScore - SameSourceMargin && !chosen.Contains(s)) is { } found)
            {
                chosen.Add(found);
            }
        }
    }

    /// <summary>
    /// The answer: the chosen sentences source by source (the best first), each in document order, each with its [n];
    /// a sentence that introduces a list or code followed by its items or lines on lines of their own.
    /// </summary>
    private static GeneratedAnswer Compose(QuestionShape shape, List<Scored> chosen, ChunkMap chunks)
    {
        var sourceRank = chosen.Select(c => c.Candidate.Source.DocumentId).Distinct(StringComparer.Ordinal)
            .Select((id, rank) => (id, rank)).ToDictionary(p => p.id, p => p.rank, StringComparer.Ordinal);
        var ordered = chosen
            .OrderBy(c => sourceRank[c.Candidate.Source.DocumentId])
            .ThenBy(c => c.Candidate.Source.ChunkIndex)
            .ThenBy(c => c.Candidate.Position)
            .ToList();

        // What each sentence brings (lists, code), the best-supported first while the budget lasts.
        var shown = new HashSet<(string Chunk, int Paragraph)>();
        var budget = ContinuationBudget;
        var brought = new Dictionary<Scored, (List<string> List, List<string> Lines)>();
        var owner = new Dictionary<(string Chunk, int Paragraph), Scored>();
        foreach (var item in chosen)
        {
            var before = shown.ToHashSet();
            var list = shape.Kind == QuestionKind.List ? WholeList(item.Candidate, shown, ref budget) : [];
            brought[item] = (list, list.Count > 0 ? [] : Continuation(shape, item.Candidate, chunks, shown, ref budget));
            foreach (var paragraph in shown.Except(before))
            {
                owner.TryAdd(paragraph, item);
            }
        }

        // Number sources by first appearance in the answer.
        var citations = new List<Citation>();
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        var answer = new StringBuilder();
        var lastHadLines = false;
        foreach (var item in ordered)
        {
            var candidate = item.Candidate;
            var source = candidate.Source;
            var (list, lines) = brought[item];
            if (owner.TryGetValue((source.ChunkId, candidate.Paragraph), out var bringer) && bringer != item
                || answer.Length > 0 && answer.ToString().Contains(candidate.Text.TrimEnd('.', ':'), StringComparison.Ordinal))
            {
                continue; // shown already: an item or line another sentence brings, or the rest of an earlier sentence's paragraph
            }

            if (!numbers.TryGetValue(source.DocumentId, out var n))
            {
                n = citations.Count + 1;
                numbers[source.DocumentId] = n;
                citations.Add(new Citation(n, source.DocumentId, source.Title, source.ChunkIndex, candidate.Text, source.Score, source.Page));
            }

            if (answer.Length > 0)
            {
                answer.Append(lastHadLines ? '\n' : ' ');
            }

            if (list.Count > 0)
            {
                answer.Append(string.Join('\n', list)).Append(CultureInfo.InvariantCulture, $" [{n}]");
                lastHadLines = true;
                continue;
            }

            answer.Append(WithMarker(candidate.Text, n));
            foreach (var line in lines)
            {
                answer.Append('\n').Append(line);
            }

            lastHadLines = lines.Count > 0;
        }

        return new GeneratedAnswer(answer.ToString(), citations);
    }

    /// <summary>
    /// What a sentence at the end of its paragraph brings: after an introduction ("…:", "as follows"), the list items and
    /// code lines that follow it (or the one paragraph that does); for a procedure, the code lines right after it.
    /// </summary>
    private static List<string> Continuation(QuestionShape shape, CandidateSentence candidate, ChunkMap chunks, HashSet<(string, int)> shown, ref int budget)
    {
        var lines = new List<string>();
        if (candidate.Layout is not { } layout || candidate.Paragraph < 0)
        {
            return lines;
        }

        // A sentence inside a paragraph whose last sentence introduces code or a list ("For example:"): the rest of
        // the paragraph comes along, so that what follows it is introduced.
        if (!candidate.EndsParagraph && candidate.Paragraph + 1 < layout.Count && layout[candidate.Paragraph + 1].Kind is ParagraphKind.Code or ParagraphKind.ListItem
            && ChunkLayout.Introduces(layout[candidate.Paragraph].Text) && (shape.Kind is QuestionKind.Procedure or QuestionKind.List))
        {
            var paragraph = layout[candidate.Paragraph].Text;
            var at = paragraph.IndexOf(candidate.Text, StringComparison.Ordinal);
            var rest = at < 0 ? "" : paragraph[(at + candidate.Text.Length)..].Trim();
            if (rest.Length > 0 && rest.Length <= 300 && rest.Length <= budget)
            {
                budget -= rest.Length;
                lines.Add(rest);
                candidate = candidate with { Text = rest, EndsParagraph = true };
            }
        }

        if (candidate.Next is not { } next)
        {
            return lines;
        }

        var introduces = ChunkLayout.Introduces(candidate.Text);
        var wanted = introduces && next.Kind is ParagraphKind.ListItem or ParagraphKind.Code
            ? new[] { ParagraphKind.ListItem, ParagraphKind.Code }
            : introduces && next.Kind == ParagraphKind.Prose ? [ParagraphKind.Prose]
            : shape.Kind == QuestionKind.Procedure && next.Kind == ParagraphKind.Code ? [ParagraphKind.Code]
            : [];
        var limit = wanted.Length == 1 ? (wanted[0] == ParagraphKind.Prose ? 1 : MaxCodeLines) : MaxContinuation;
        var taken = 0;
        foreach (var (chunk, index, paragraph) in Following(candidate, chunks))
        {
            var text = Item(paragraph);
            if (taken == limit || !wanted.Contains(paragraph.Kind) || text.Length > budget)
            {
                break;
            }

            lines.Add(text);
            taken++;
            budget -= text.Length;
            shown.Add((chunk, index));
        }

        return lines;
    }

    /// <summary>A list item as an answer shows it: a long one cut to its first sentence.</summary>
    private static string Item(ChunkParagraph paragraph)
    {
        var text = paragraph.Text.ReplaceLineEndings(" ");
        if (paragraph.Kind != ParagraphKind.ListItem || text.Length <= LongItem)
        {
            return text;
        }

        var first = SentenceSplitter.Sentences(text).FirstOrDefault() ?? text;
        return first.Length < text.Length ? first : text;
    }

    /// <summary>Characters beyond which a list item is shown by its first sentence.</summary>
    private const int LongItem = 200;

    /// <summary>For a list question that quotes one item of a list: the list's items (and code lines among them) in order.</summary>
    private static List<string> WholeList(CandidateSentence candidate, HashSet<(string, int)> shown, ref int budget)
    {
        var items = new List<string>();
        if (candidate.Layout is not { } layout || candidate.Paragraph < 0 || layout[candidate.Paragraph].Kind != ParagraphKind.ListItem)
        {
            return items;
        }

        var first = candidate.Paragraph;
        while (first > 0 && layout[first - 1].Kind is ParagraphKind.ListItem or ParagraphKind.Code && candidate.Paragraph - first < MaxContinuation)
        {
            first--;
        }

        for (var i = first; i < layout.Count && items.Count < MaxContinuation && layout[i].Kind is ParagraphKind.ListItem or ParagraphKind.Code; i++)
        {
            var text = Item(layout[i]);
            if (text.Length > budget && items.Count > 0)
            {
                break;
            }

            items.Add(text);
            budget -= text.Length;
            shown.Add((candidate.Source.ChunkId, i));
        }

        return items;
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

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();

    // "functools.partial()" -> "partial": a dotted name's last part.
    [GeneratedRegex(@"(?:[\p{L}_][\p{L}\p{N}_]*\.)+(?<last>[\p{L}_][\p{L}\p{N}_]*)")]
    private static partial Regex DottedName();

    [GeneratedRegex(@"[.!?。！？]+[""'”’)\]]*$")]
    private static partial Regex TrailingPunctuation();

    // One or more upper-case words (a man page's "EXIT STATUS") before a capitalised word in lower case.
    [GeneratedRegex(@"^(?:\p{Lu}[\p{Lu}\p{N}_-]{3,}\s+)+(?=\p{Lu}\p{Ll})")]
    private static partial Regex GluedHeading();

    // A word broken by a hyphen at a line end, after the line break became a space: "sig‐ nal", "sig- nal".
    [GeneratedRegex(@"(\p{Ll})[\u2010\u00AD-] (?!(?:and|or|nor|to)\b)(\p{Ll})")]
    private static partial Regex BrokenWord();
}
