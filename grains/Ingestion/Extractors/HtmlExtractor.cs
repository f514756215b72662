using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// text/html through AngleSharp (the HTML5 parsing algorithm, charset from the document): the visible text of
/// the page in document order, headings as section starts, table rows as "cell | cell" lines, list items marked with
/// a bullet or their number and code blocks (&lt;pre&gt;) a line per paragraph in backticks (<see cref="TextStructure"/>).
/// Scripts, styles, navigation, page headers and footers, forms and hidden elements are dropped. Title: &lt;title&gt;,
/// else the first h1.
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

    /// <summary>
    /// Whether a &lt;pre&gt; holds code: it has a &lt;code&gt; inside, a class of its own, or sits in a block whose class says
    /// code ("highlight", "listing", "screen", "program"…). A bare &lt;pre&gt; (an RFC, a mail archive) is preformatted prose.
    /// </summary>
    private static bool IsCode(IElement pre)
    {
        if (pre.QuerySelector("code") is not null || !string.IsNullOrWhiteSpace(pre.ClassName))
        {
            return true;
        }

        var depth = 0;
        for (var parent = pre.ParentElement; parent is not null && depth < 3; parent = parent.ParentElement, depth++)
        {
            if (parent.ClassName is { } classes && CodeClasses.Any(c => classes.Contains(c, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly string[] CodeClasses = ["highlight", "code", "listing", "screen", "program", "example", "literal", "console"];

    /// <summary>A &lt;pre&gt;'s text with its line breaks, &lt;br&gt; ones included.</summary>
    private static string PreformattedText(IElement pre)
    {
        var text = new StringBuilder();
        foreach (var node in pre.Descendants())
        {
            if (node is IText part)
            {
                text.Append(part.Data);
            }
            else if (node is IElement { LocalName: "br" })
            {
                text.Append('\n');
            }
        }

        return text.ToString();
    }

    private sealed class Walker(CancellationToken cancellationToken)
    {
        private readonly StringBuilder _inline = new();

        /// <summary>The mark of the list item being read, put before its first text.</summary>
        private string? _itemPrefix;

        /// <summary>List items being read: their paragraphs make one paragraph (nested lists, code and tables do not).</summary>
        private int _items;

        /// <summary>The next item number of each list being read, innermost on top (null: not an ordered list).</summary>
        private readonly Stack<int?> _numbers = new();

        /// <summary>An item's number in its ordered list (its own value, else the next), advancing the list's count; null outside one.</summary>
        private int? NextNumber(IElement item)
        {
            if (item.ParentElement is not { LocalName: "ol" } || _numbers.Count == 0 || _numbers.Peek() is not { } number)
            {
                return null;
            }

            if (int.TryParse(item.GetAttribute("value"), out var value))
            {
                number = value;
            }

            _numbers.Pop();
            _numbers.Push(number + 1);
            return number;
        }

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
                if (_itemPrefix is { } prefix && kind == BlockKind.Paragraph)
                {
                    text = prefix + text;
                    _itemPrefix = null;
                }

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
            else if (tag == "pre" && IsCode(element))
            {
                Flush();
                _itemPrefix = null; // a list item that opens with code keeps no mark
                foreach (var line in TextStructure.CodeLines(PreformattedText(element)))
                {
                    Blocks.Add(new TextBlock(line, BlockKind.Paragraph));
                }
            }
            else if (tag == "li")
            {
                Flush();
                _itemPrefix = TextStructure.ListItemPrefix(NextNumber(element));
                _items++;
                Walk(element);
                _items--;
                Flush();
                _itemPrefix = null;
            }
            else if (_items > 0 && tag is "p" or "div" or "dd" or "blockquote")
            {
                _inline.Append(' ');
                Walk(element);
                _inline.Append(' ');
            }
            else if (tag is "ul" or "ol" or "dl" or "table")
            {
                Flush();
                var items = _items;
                _items = 0; // a nested list's items are paragraphs of their own
                _numbers.Push(tag == "ol" ? (int.TryParse(element.GetAttribute("start"), out var start) ? start : 1) : null);
                Walk(element);
                _numbers.Pop();
                _items = items;
                Flush();
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
