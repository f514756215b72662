using System.Text;
using System.Text.RegularExpressions;

namespace OrleansRag.Ingestion.Pipeline;

/// <summary>The normalise stage: one text form for every extractor's output.</summary>
public interface ITextNormalizer
{
    ExtractedDocument Normalize(ExtractedDocument document);
}

/// <summary>
/// Unicode NFC, typographic ligatures spelled out (PDFs), soft hyphens and zero-width characters removed,
/// words hyphenated across a line break rejoined ("exam-\nple" → "example"), other control characters and
/// runs of whitespace made single spaces; blocks left empty are dropped.
/// </summary>
public sealed partial class TextNormalizer : ITextNormalizer
{
    private static readonly Dictionary<char, string> Ligatures = new()
    {
        ['\uFB00'] = "ff", ['\uFB01'] = "fi", ['\uFB02'] = "fl", ['\uFB03'] = "ffi", ['\uFB04'] = "ffl", ['\uFB05'] = "st", ['\uFB06'] = "st",
    };

    public ExtractedDocument Normalize(ExtractedDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var blocks = new List<TextBlock>(document.Blocks.Count);
        foreach (var block in document.Blocks)
        {
            var text = NormalizeText(block.Text);
            if (text.Length > 0)
            {
                blocks.Add(block with { Text = text });
            }
        }

        var title = document.Title is { } t ? NormalizeText(t) : null;
        return document with { Blocks = blocks, Title = string.IsNullOrEmpty(title) ? null : title };
    }

    public static string NormalizeText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.IsNormalized(NormalizationForm.FormC))
        {
            text = text.Normalize(NormalizationForm.FormC);
        }

        text = HyphenatedBreak().Replace(text, "$1$2");
        var builder = new StringBuilder(text.Length);
        var space = true; // trims the start
        foreach (var c in text)
        {
            if (Ligatures.TryGetValue(c, out var spelled))
            {
                builder.Append(spelled);
                space = false;
            }
            else if (c is '\u00AD' or '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF')
            {
                // invisible: soft hyphen, zero-width characters, byte-order mark
            }
            else if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                if (!space)
                {
                    builder.Append(' ');
                    space = true;
                }
            }
            else
            {
                builder.Append(c);
                space = false;
            }
        }

        return builder.ToString().TrimEnd();
    }

    // A lower-case letter, a hyphen (ASCII, or U+2010 as man and groff write it) at the end of a line, and a
    // lower-case letter on the next.
    [GeneratedRegex(@"(\p{Ll})[-\u2010][ \t]*\r?\n[ \t]*(\p{Ll})")]
    private static partial Regex HyphenatedBreak();
}
