using Markdig;
using Markdig.Syntax;

namespace OrleansRag.Ingestion;

/// <summary>Plain text extracted from a document, and the title it suggests.</summary>
public sealed record ParsedDocument(string Text, string? SuggestedTitle);

/// <summary>Turns supported content types into plain text (Markdown through Markdig).</summary>
public static class DocumentParser
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    public static ParsedDocument Parse(string text, string contentType)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (RagValidation.NormalizeContentType(contentType))
        {
            case RagConstants.Markdown:
                var document = Markdown.Parse(text, Pipeline);
                var heading = document.Descendants<HeadingBlock>().FirstOrDefault(h => h.Level == 1);
                var title = heading?.Inline is null ? null : InlineText(heading);
                return new ParsedDocument(PlainBlocks(text, document), title);
            case RagConstants.PlainText:
                return new ParsedDocument(text.Trim(), PlainTitle(text));
            default:
                throw new ArgumentException($"contentType '{contentType}' is not supported.", nameof(contentType));
        }
    }

    /// <summary>
    /// The plain text of every leaf block (heading, paragraph, list item, code, table cell), one block per
    /// paragraph, so headings never run into the paragraph after them.
    /// </summary>
    private static string PlainBlocks(string source, MarkdownDocument document)
    {
        var blocks = new List<string>();
        foreach (var block in document.Descendants<LeafBlock>())
        {
            if (block.Span.IsEmpty || block.Span.End >= source.Length + 1 || block is LinkReferenceDefinition or ThematicBreakBlock)
            {
                continue;
            }

            var markup = source.Substring(block.Span.Start, Math.Min(block.Span.Length, source.Length - block.Span.Start));
            var plain = Markdown.ToPlainText(markup, Pipeline).Trim();
            if (plain.Length > 0)
            {
                blocks.Add(plain);
            }
        }

        return string.Join("\n\n", blocks);
    }

    /// <summary>A short first line followed by a blank line reads as a title.</summary>
    private static string? PlainTitle(string text)
    {
        var lines = text.TrimStart().Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', 3);
        return lines.Length >= 2 && lines[0].Trim() is { Length: > 0 and <= 120 } first && lines[1].Trim().Length == 0
            && !first.EndsWith('.') ? first : null;
    }

    private static string? InlineText(HeadingBlock heading)
    {
        var writer = new StringWriter();
        var renderer = new Markdig.Renderers.HtmlRenderer(writer) { EnableHtmlForInline = false };
        renderer.WriteLeafInline(heading);
        var text = writer.ToString().Trim();
        return text.Length == 0 ? null : System.Net.WebUtility.HtmlDecode(text);
    }
}
