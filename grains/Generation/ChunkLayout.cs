using System.Text.RegularExpressions;
using OrleansRag.Ingestion.Extractors;

namespace OrleansRag.Generation;

/// <summary>What a paragraph of a chunk is, as its text shows it (<see cref="TextStructure"/>).</summary>
public enum ParagraphKind
{
    /// <summary>Sentences.</summary>
    Prose,

    /// <summary>An item of a list: "• …" or "2. …".</summary>
    ListItem,

    /// <summary>A line of code, in backticks.</summary>
    Code,

    /// <summary>
    /// What labels rather than says: a heading, a caption ("Listing 4-1: …", "Figure 2. …"), an API signature or a
    /// heading with its permalink ("…¶"). Never an answer.
    /// </summary>
    Label,
}

/// <summary>A paragraph of a chunk: where it lies in the chunk's text, and its kind.</summary>
public sealed record class ChunkParagraph(int Start, int End, ParagraphKind Kind, string Text);

/// <summary>
/// A chunk's paragraphs (the chunker separates them with a blank line) and their kinds, so that an answer can bring the
/// list a sentence introduces, the code line after "run this:", and never quote a heading or a caption.
/// </summary>
public static partial class ChunkLayout
{
    public static IReadOnlyList<ChunkParagraph> Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var paragraphs = new List<ChunkParagraph>();
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf("\n\n", start, StringComparison.Ordinal);
            if (end < 0)
            {
                end = text.Length;
            }

            var paragraph = text[start..end].Trim();
            if (paragraph.Length > 0)
            {
                paragraphs.Add(new ChunkParagraph(start, end, KindOf(paragraph), paragraph));
            }

            start = end + 2;
        }

        return paragraphs;
    }

    /// <summary>The index of the paragraph that holds <paramref name="offset"/>, or -1.</summary>
    public static int IndexAt(IReadOnlyList<ChunkParagraph> paragraphs, int offset)
    {
        ArgumentNullException.ThrowIfNull(paragraphs);
        for (var i = 0; i < paragraphs.Count; i++)
        {
            if (offset >= paragraphs[i].Start && offset < paragraphs[i].End)
            {
                return i;
            }
        }

        return -1;
    }

    public static ParagraphKind KindOf(string paragraph)
    {
        ArgumentNullException.ThrowIfNull(paragraph);
        if (paragraph.Length >= 2 && paragraph[0] == '`' && paragraph[^1] == '`')
        {
            return ParagraphKind.Code;
        }

        if (paragraph.StartsWith(TextStructure.Bullet, StringComparison.Ordinal) || NumberedItem().IsMatch(paragraph))
        {
            return ParagraphKind.ListItem;
        }

        return Caption().IsMatch(paragraph) || paragraph.EndsWith('¶') || HeadingLike(paragraph) ? ParagraphKind.Label : ParagraphKind.Prose;
    }

    /// <summary>Whether a sentence introduces what follows it (<see cref="TextStructure.Introduces"/>).</summary>
    public static bool Introduces(string sentence) => TextStructure.Introduces(sentence);

    // A short line with no closing punctuation and no table cells: a heading, a term or an option being defined ("--soft");
    // up to 14 words when most of them are capitalised.
    private static bool HeadingLike(string paragraph)
    {
        if (paragraph.Contains(" | ", StringComparison.Ordinal) || ClosingPunctuation().IsMatch(paragraph))
        {
            return false;
        }

        var words = paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length <= 8 || words.Length <= 14 && words.Count(w => char.IsUpper(w[0])) * 2 >= words.Length;
    }

    [GeneratedRegex(@"^\d{1,3}\. ")]
    private static partial Regex NumberedItem();

    [GeneratedRegex(@"^(?:Listing|Figure|Fig\.|Table|Example|Exhibit|Diagram)\s+[\p{L}\p{N}][\p{L}\p{N}.\-]*\s*[:.—–-]", RegexOptions.IgnoreCase)]
    private static partial Regex Caption();

    [GeneratedRegex(@"[.!?:;)\]”""'’]$")]
    private static partial Regex ClosingPunctuation();

}
