using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace OrleansRag.Tests.Infrastructure;

/// <summary>
/// Real files made in the test with the same libraries the ecosystem writes them with: PDFs with PdfPig's
/// writer (Helvetica, one text line per operator, like most generated PDFs), DOCX with the Open XML SDK.
/// </summary>
public static class TestDocuments
{
    /// <summary>A PDF with one page per entry, each wrapped at ~90 characters a line.</summary>
    public static byte[] Pdf(IReadOnlyList<string> pages, string? title = null)
    {
        using var output = new MemoryStream();
        WritePdf(output, pages.Count, i => pages[i], title);
        return output.ToArray();
    }

    /// <summary>Writes a PDF of <paramref name="pageCount"/> pages straight to a stream (for large files).</summary>
    public static void WritePdf(Stream output, int pageCount, Func<int, string> page, string? title = null)
    {
        using var builder = new PdfDocumentBuilder(output, disposeStream: false);
        if (title is not null)
        {
            builder.IncludeDocumentInformation = true;
            builder.DocumentInformation.Title = title;
        }

        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 0; i < pageCount; i++)
        {
            var pdfPage = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            var y = 800.0;
            foreach (var line in Wrap(page(i), 90))
            {
                pdfPage.AddText(line, 10, new PdfPoint(40, y), font);
                y -= 13;
                if (y < 40)
                {
                    break;
                }
            }
        }

        builder.Build();
    }

    /// <summary>A PDF whose only page holds a filled rectangle and no text (what a scan without OCR looks like to a text extractor).</summary>
    public static byte[] ImageOnlyPdf()
    {
        using var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        page.DrawRectangle(new PdfPoint(50, 50), 400, 600, 2, fill: true);
        return builder.Build();
    }

    /// <summary>A PDF header followed by bytes that are no PDF at all.</summary>
    public static byte[] CorruptPdf() =>
        [.. "%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R"u8, .. Enumerable.Range(0, 4000).Select(i => (byte)(i * 7919 % 251))];

    /// <summary>A DOCX: core title, then headings (Heading1/Heading2 styles), paragraphs and a table, in that order.</summary>
    public static byte[] Docx(string coreTitle, IEnumerable<(string Style, string Text)> paragraphs, IEnumerable<string[]>? tableRows = null)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            document.PackageProperties.Title = coreTitle;
            var main = document.AddMainDocumentPart();
            var body = new Body();
            foreach (var (style, text) in paragraphs)
            {
                var paragraph = new Paragraph(new Run(new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
                if (style.Length > 0)
                {
                    paragraph.ParagraphProperties = new ParagraphProperties(new ParagraphStyleId { Val = style });
                }

                body.Append(paragraph);
            }

            if (tableRows is not null)
            {
                var table = new Table();
                foreach (var row in tableRows)
                {
                    table.Append(new TableRow(row.Select(cell => new TableCell(new Paragraph(new Run(new Text(cell)))))));
                }

                body.Append(table);
            }

            main.Document = new Document(body);
            main.Document.Save();
        }

        return stream.ToArray();
    }

    /// <summary>A ZIP that looks like a DOCX but whose document part expands to <paramref name="expandedBytes"/> bytes.</summary>
    public static byte[] ZipBombDocx(int expandedBytes)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var types = new StreamWriter(zip.CreateEntry("[Content_Types].xml").Open()))
            {
                types.Write("""<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>""");
            }

            using var part = zip.CreateEntry("word/document.xml", CompressionLevel.SmallestSize).Open();
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var written = 0; written < expandedBytes; written += spaces.Length)
            {
                part.Write(spaces, 0, Math.Min(spaces.Length, expandedBytes - written));
            }
        }

        return stream.ToArray();
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        foreach (var paragraph in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = new StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > 0 && line.Length + 1 + word.Length > width)
                {
                    yield return line.ToString();
                    line.Clear();
                }

                line.Append(line.Length > 0 ? " " : "").Append(word);
            }

            yield return line.ToString();
        }
    }
}
