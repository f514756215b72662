using Markdig;
using Markdig.Syntax;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// text/markdown through Markdig: every leaf block as plain text, headings as section starts, the first H1 as title; list
/// items marked with a bullet or their number and code blocks a line per paragraph in backticks (<see cref="TextStructure"/>).
/// </summary>
public sealed class MarkdownExtractor : IDocumentExtractor
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    public string ContentType => ContentTypes.Markdown;

    public void Check(ReadOnlySpan<byte> content) => TextContent.Check(content, ContentType);

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        Check(content.Span);
        return FromText(TextContent.Decode(content.Span), cancellationToken);
    }

    public static ExtractedDocument FromText(string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var document = Markdown.Parse(source, Pipeline);
        var blocks = new List<TextBlock>();
        string? title = null;
        foreach (var block in document.Descendants<LeafBlock>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (block.Span.IsEmpty || block.Span.Start >= source.Length || block is LinkReferenceDefinition or ThematicBreakBlock)
            {
                continue;
            }

            if (block is CodeBlock code)
            {
                blocks.AddRange(TextStructure.CodeLines(code.Lines.ToString()).Select(line => new TextBlock(line)));
                continue;
            }

            var markup = source.Substring(block.Span.Start, Math.Min(block.Span.Length, source.Length - block.Span.Start));
            var plain = Markdown.ToPlainText(markup, Pipeline).Trim();
            if (plain.Length == 0)
            {
                continue;
            }

            if (block is HeadingBlock heading)
            {
                title ??= heading.Level == 1 ? plain : null;
                blocks.Add(new TextBlock(plain, BlockKind.Heading));
            }
            else if (block.Parent is ListItemBlock { Parent: ListBlock list } item && item.IndexOf(block) == 0)
            {
                int? number = list.IsOrdered ? item.Order : null;
                blocks.Add(new TextBlock(TextStructure.ListItemPrefix(number) + plain));
            }
            else
            {
                blocks.Add(new TextBlock(plain, block.Parent is Markdig.Extensions.Tables.TableCell ? BlockKind.TableRow : BlockKind.Paragraph));
            }
        }

        return new ExtractedDocument(blocks, title);
    }
}
