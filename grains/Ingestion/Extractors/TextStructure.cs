using System.Text.RegularExpressions;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// How extractors keep a document's structure in its plain text, so that answers can use it: a list item starts with a
/// bullet ("• ") or its number ("2. "), and each line of a code block is a paragraph of its own in backticks
/// ("`cargo new hello`"), the way Markdown writes inline code. Blank code lines are dropped; so is a line that holds no
/// character but white space and punctuation no reader needs alone ("}", "...").
/// </summary>
public static partial class TextStructure
{
    public const string Bullet = "• ";

    /// <summary>The mark of a list item: a bullet, or for an ordered list its number.</summary>
    public static string ListItemPrefix(int? number) => number is { } n ? $"{n.ToString(System.Globalization.CultureInfo.InvariantCulture)}. " : Bullet;

    /// <summary>The lines of a code block as paragraphs: each trimmed at its end, in backticks.</summary>
    public static IEnumerable<string> CodeLines(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        foreach (var raw in code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Trim().Length > 0 && line.Any(char.IsLetterOrDigit))
            {
                yield return $"`{line.Trim()}`";
            }
        }
    }

    /// <summary>
    /// Whether a sentence introduces what follows it: it ends with a colon, or says "as follows", "the following …" or
    /// "these steps" near its end. The chunker keeps such a sentence with what follows; answers bring what follows.
    /// </summary>
    public static bool Introduces(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return Introduction().IsMatch(sentence);
    }

    [GeneratedRegex(@":\s*(?:\[\d+\])?$|\b(?:as follows|the following|following (?:\w+ ){0,3}\w+|these (?:\w+ ){0,2}(?:steps|rules|items|points|cases|options))\b(?:[^.!?]|\.(?=\S)){0,60}[.:\s]*(?:\[\d+\][.:]*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Introduction();
}
