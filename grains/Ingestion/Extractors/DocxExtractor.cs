using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// Word documents (DOCX) through the Open XML SDK: the body's paragraphs in order, paragraphs styled as
/// headings (or Title) as section starts, table rows as "cell | cell" lines. The ZIP container is measured
/// before it is opened, so a file that expands beyond <see cref="ExtractionLimits.MaxExpandedBytes"/> (a zip
/// bomb) is refused. Title: the core properties' title, else a Title-styled paragraph, else the first heading.
/// </summary>
public sealed class DocxExtractor : IDocumentExtractor
{
    public string ContentType => ContentTypes.Docx;

    public void Check(ReadOnlySpan<byte> content)
    {
        if (!content.StartsWith(stackalloc byte[] { 0x50, 0x4B, 0x03, 0x04 }))
        {
            throw new DocumentRejectedException($"The body was sent as {ContentTypes.Docx} but is not a DOCX file (not a ZIP container).");
        }
    }

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        Check(content.Span);
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        CheckExpansion(stream, limits);
        stream.Position = 0;
        try
        {
            using var document = WordprocessingDocument.Open(stream, false);
            var body = document.MainDocumentPart?.Document?.Body
                ?? throw new DocumentRejectedException("The DOCX file has no document body (word/document.xml).");
            var styles = StyleNames(document);
            var blocks = new List<TextBlock>();
            string? styledTitle = null;
            Walk(body, blocks, styles, ref styledTitle, cancellationToken);
            var title = document.PackageProperties.Title is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim()
                : styledTitle ?? blocks.FirstOrDefault(b => b.Kind == BlockKind.Heading)?.Text;
            return new ExtractedDocument(blocks, title);
        }
        catch (Exception exception) when (exception is OpenXmlPackageException or InvalidDataException or System.Xml.XmlException or FileFormatException or InvalidOperationException)
        {
            throw new DocumentRejectedException($"The DOCX file cannot be read: {exception.Message}", exception);
        }
    }

    private static void CheckExpansion(MemoryStream stream, ExtractionLimits limits)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                total += entry.Length;
                if (total > limits.MaxExpandedBytes)
                {
                    throw new DocumentRejectedException(
                        $"The DOCX file expands to more than {limits.MaxExpandedBytes} bytes (Ingestion:MaxExpandedBytes; '{entry.FullName}' alone is {entry.Length}): refused as a possible zip bomb.",
                        RejectionReason.TooLarge);
                }
            }
        }
        catch (InvalidDataException exception)
        {
            throw new DocumentRejectedException($"The DOCX file is not a valid ZIP container: {exception.Message}", exception);
        }
    }

    private static Dictionary<string, string> StyleNames(WordprocessingDocument document)
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var style in document.MainDocumentPart?.StyleDefinitionsPart?.Styles?.Elements<Style>() ?? [])
        {
            if (style.StyleId?.Value is { } id && style.StyleName?.Val?.Value is { } name)
            {
                names[id] = name.ToLowerInvariant();
            }
        }

        return names;
    }

    private static void Walk(OpenXmlElement parent, List<TextBlock> blocks, Dictionary<string, string> styles, ref string? styledTitle, CancellationToken cancellationToken)
    {
        foreach (var element in parent.Elements())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (element)
            {
                case Paragraph paragraph:
                    var text = ParagraphText(paragraph);
                    if (text.Length == 0)
                    {
                        break;
                    }

                    var kind = HeadingKind(paragraph, styles, out var isTitle);
                    if (isTitle)
                    {
                        styledTitle ??= text;
                    }

                    blocks.Add(new TextBlock(text, kind));
                    break;
                case Table table:
                    foreach (var row in table.Descendants<TableRow>())
                    {
                        var cells = row.Elements<TableCell>()
                            .Select(cell => string.Join(' ', cell.Descendants<Paragraph>().Select(ParagraphText).Where(p => p.Length > 0)))
                            .Where(cell => cell.Length > 0);
                        var line = string.Join(" | ", cells);
                        if (line.Length > 0)
                        {
                            blocks.Add(new TextBlock(line, BlockKind.TableRow));
                        }
                    }

                    break;
                default:
                    Walk(element, blocks, styles, ref styledTitle, cancellationToken); // content controls, custom XML, …
                    break;
            }
        }
    }

    private static BlockKind HeadingKind(Paragraph paragraph, Dictionary<string, string> styles, out bool isTitle)
    {
        var properties = paragraph.ParagraphProperties;
        var styleId = properties?.ParagraphStyleId?.Val?.Value ?? "";
        var name = styles.GetValueOrDefault(styleId, styleId.ToLowerInvariant());
        isTitle = name == "title";
        var heading = isTitle || name.StartsWith("heading", StringComparison.Ordinal) || properties?.OutlineLevel?.Val?.Value is < 9;
        return heading ? BlockKind.Heading : BlockKind.Paragraph;
    }

    private static string ParagraphText(Paragraph paragraph)
    {
        var builder = new StringBuilder();
        foreach (var element in paragraph.Descendants())
        {
            switch (element)
            {
                case Text text:
                    builder.Append(text.Text);
                    break;
                case TabChar or Break or CarriageReturn:
                    builder.Append(' ');
                    break;
            }
        }

        return string.Join(' ', builder.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
