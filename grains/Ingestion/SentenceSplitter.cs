using System.Text.RegularExpressions;

namespace OrleansRag.Ingestion;

/// <summary>Splits prose into paragraphs and sentences, keeping common abbreviations ("e.g.", "Dr.") intact.</summary>
public static partial class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "fig", "figs", "al", "approx",
        "no", "vol", "ca", "cf", "inc", "ltd", "co", "corp", "dept", "est", "eq", "ref", "refs", "sec", "u.s", "jan",
        "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    };

    /// <summary>Paragraphs: runs of text separated by blank lines; whitespace inside is collapsed.</summary>
    public static IEnumerable<string> Paragraphs(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var paragraph in BlankLine().Split(text.Replace("\r\n", "\n", StringComparison.Ordinal)))
        {
            var collapsed = Whitespace().Replace(paragraph, " ").Trim();
            if (collapsed.Length > 0)
            {
                yield return collapsed;
            }
        }
    }

    /// <summary>Sentences of one paragraph (whitespace already collapsed).</summary>
    public static IEnumerable<string> Sentences(string paragraph)
    {
        ArgumentNullException.ThrowIfNull(paragraph);
        var start = 0;
        foreach (Match match in Boundary().Matches(paragraph))
        {
            var end = match.Index + match.Length;
            var candidate = paragraph[start..end].Trim();
            var lastWord = LastWord().Match(paragraph[start..match.Index]).Value.TrimEnd('.');
            if (candidate.Length == 0 || Abbreviations.Contains(lastWord) || lastWord.Length == 1 && char.IsUpper(lastWord[0]) || start == 0 && ItemNumber().IsMatch(candidate))
            {
                continue; // an abbreviation, an initial, or the number of a list item ("2. You can…")
            }

            yield return candidate;
            start = end;
        }

        var rest = paragraph[start..].Trim();
        if (rest.Length > 0)
        {
            yield return rest;
        }
    }

    /// <summary>All sentences of a text, paragraph by paragraph.</summary>
    public static IEnumerable<string> SplitText(string text) => Paragraphs(text).SelectMany(Sentences);

    /// <summary>
    /// Where each sentence of <see cref="SplitText"/> lies in <paramref name="text"/>, as (start, length); null
    /// when a sentence is not a literal substring (its whitespace was collapsed), which chunk texts never cause.
    /// </summary>
    public static List<(int Start, int Length)>? Spans(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spans = new List<(int Start, int Length)>();
        var cursor = 0;
        foreach (var sentence in SplitText(text))
        {
            var at = text.IndexOf(sentence, cursor, StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            spans.Add((at, sentence.Length));
            cursor = at + sentence.Length;
        }

        return spans;
    }

    [GeneratedRegex(@"\n[ \t]*\n+")]
    private static partial Regex BlankLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // End punctuation (optionally closed by quotes/brackets) followed by a space and a capital, digit or opener.
    [GeneratedRegex(@"[.!?。！？]+[""'”’)\]]*(?=\s+[\p{Lu}\p{N}""'“‘(\[])|[。！？]+")]
    private static partial Regex Boundary();

    [GeneratedRegex(@"[\p{L}.]+$")]
    private static partial Regex LastWord();

    [GeneratedRegex(@"^\d{1,3}\.$")]
    private static partial Regex ItemNumber();
}
