using Markdig;
using Markdig.Syntax;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>text/markdown through Markdig: every leaf block as plain text, headings as section starts, the first H1 as title.</summary>
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
            else
            {
                blocks.Add(new TextBlock(plain, block.Parent is Markdig.Extensions.Tables.TableCell ? BlockKind.TableRow : BlockKind.Paragraph));
            }
        }

        return new ExtractedDocument(blocks, title);
    }
}
