using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// text/html through AngleSharp (the HTML5 parsing algorithm, charset from the document): the visible text of
/// the page in document order, headings as section starts, table rows as "cell | cell" lines. Scripts, styles,
/// navigation, page headers and footers, forms and hidden elements are dropped. Title: &lt;title&gt;, else the first h1.
/// </summary>
public sealed class HtmlExtractor : IDocumentExtractor
{
    private const string Dropped =
        "script, style, noscript, template, nav, aside, form, iframe, svg, canvas, button, select, object, embed, "
        + "[role=navigation], [role=banner], [role=contentinfo], [role=search], [aria-hidden=true], [hidden]";

    private static readonly HashSet<string> Headings = ["h1", "h2", "h3", "h4", "h5", "h6"];

    private static readonly HashSet<string> BlockTags =
    [
        "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "thead",
        "tbody", "tfoot", "figure", "figcaption", "address", "details", "summary", "hr", "body", "caption", "center",
    ];

    public string ContentType => ContentTypes.Html;

    public void Check(ReadOnlySpan<byte> content) => TextContent.Check(content, ContentType);

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        Check(content.Span);
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        using var document = new HtmlParser().ParseDocument(stream);
        return FromDocument(document, cancellationToken);
    }

    public static ExtractedDocument FromText(string html, CancellationToken cancellationToken = default)
    {
        using var document = new HtmlParser().ParseDocument(html);
        return FromDocument(document, cancellationToken);
    }

    private static ExtractedDocument FromDocument(IDocument document, CancellationToken cancellationToken)
    {
        foreach (var element in document.QuerySelectorAll(Dropped).ToList())
        {
            element.Remove();
        }

        // Page-level headers and footers (site banner, copyright) go; an article's own header stays.
        foreach (var element in document.QuerySelectorAll("header, footer").Where(e => e.Closest("article, main") is null).ToList())
        {
            element.Remove();
        }

        var walker = new Walker(cancellationToken);
        if (document.Body is { } body)
        {
            walker.Walk(body);
        }

        walker.Flush();
        var title = Clean(document.Title ?? "") is { Length: > 0 } t ? t : walker.FirstHeading;
        return new ExtractedDocument(walker.Blocks, title);
    }

    private static string Clean(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private sealed class Walker(CancellationToken cancellationToken)
    {
        private readonly StringBuilder _inline = new();

        public List<TextBlock> Blocks { get; } = [];

        public string? FirstHeading { get; private set; }

        public void Walk(INode node)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var child in node.ChildNodes)
            {
                switch (child)
                {
                    case IText text:
                        _inline.Append(text.Data);
                        break;
                    case IElement element:
                        Visit(element);
                        break;
                }
            }
        }

        public void Flush(BlockKind kind = BlockKind.Paragraph)
        {
            var text = Clean(_inline.ToString());
            _inline.Clear();
            if (text.Length > 0)
            {
                Blocks.Add(new TextBlock(text, kind));
                if (kind == BlockKind.Heading)
                {
                    FirstHeading ??= text;
                }
            }
        }

        private void Visit(IElement element)
        {
            var tag = element.LocalName;
            if (Headings.Contains(tag))
            {
                Flush();
                Walk(element);
                Flush(BlockKind.Heading);
            }
            else if (tag == "tr")
            {
                Flush();
                var cells = element.Children.Where(c => c.LocalName is "td" or "th").Select(c => Clean(c.TextContent)).Where(c => c.Length > 0);
                var row = string.Join(" | ", cells);
                if (row.Length > 0)
                {
                    Blocks.Add(new TextBlock(row, BlockKind.TableRow));
                }
            }
            else if (tag == "br")
            {
                _inline.Append(' ');
            }
            else if (BlockTags.Contains(tag))
            {
                Flush();
                Walk(element);
                Flush();
            }
            else
            {
                Walk(element);
                if (tag is "td" or "th")
                {
                    _inline.Append(' ');
                }
            }
        }
    }
}
