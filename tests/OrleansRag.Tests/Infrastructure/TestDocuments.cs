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

    /// <summary>
    /// Writes a plain PDF 1.4 by hand, fast enough for thousands of pages: one uncompressed content stream per
    /// page showing its lines in Helvetica (a standard font, not embedded), an info dictionary with the title,
    /// and a classic cross-reference table. PdfPig's writer does the same more slowly (~60 pages/s here).
    /// </summary>
    public static void WriteRawPdf(Stream output, int pageCount, Func<int, string> page, string? title = null)
    {
        var offsets = new List<long>();
        var ascii = Encoding.Latin1;
        void Write(string text)
        {
            var bytes = ascii.GetBytes(text);
            output.Write(bytes, 0, bytes.Length);
        }

        void Object(int number, string body)
        {
            while (offsets.Count < number)
            {
                offsets.Add(0);
            }

            offsets[number - 1] = output.Position;
            Write($"{number} 0 obj\n{body}\nendobj\n");
        }

        // 1 catalog, 2 pages, 3 font, 4 info, then a page and its content per page.
        Write("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        var kids = string.Join(' ', Enumerable.Range(0, pageCount).Select(i => $"{5 + i * 2} 0 R"));
        Object(1, "<< /Type /Catalog /Pages 2 0 R >>");
        Object(2, $"<< /Type /Pages /Count {pageCount} /Kids [{kids}] >>");
        Object(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
        Object(4, $"<< /Title ({Escape(title ?? "")}) /Producer (OrleansRag tests) >>");
        for (var i = 0; i < pageCount; i++)
        {
            var content = new StringBuilder("BT /F1 10 Tf 13 TL 40 800 Td\n");
            foreach (var line in Wrap(page(i), 90).Take(58))
            {
                content.Append('(').Append(Escape(line)).Append(") Tj T*\n");
            }

            content.Append("ET");
            Object(5 + i * 2, $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {6 + i * 2} 0 R >>");
            Object(6 + i * 2, $"<< /Length {content.Length} >>\nstream\n{content}\nendstream");
        }

        var xref = output.Position;
        var table = new StringBuilder($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            table.Append(offset.ToString("D10", System.Globalization.CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        }

        Write(table.ToString());
        Write($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n");
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal);

    /// <summary>
    /// Text rendered to an image of an A4 page by pdftoppm (poppler, the renderer the OCR stage uses for PDF pages): Helvetica
    /// 16 pt at <paramref name="dpi"/>, as "png", "jpeg" (quality 60), "tiff" (LZW) or "pgm" (raw grey pixels). What a scanner or a phone gives, without the noise.
    /// </summary>
    public static async Task<byte[]> PageImageAsync(string text, string format, int dpi = 150)
    {
        var folder = Directory.CreateTempSubdirectory("orleansrag-scan-");
        try
        {
            var pdf = Path.Combine(folder.FullName, "page.pdf");
            await File.WriteAllBytesAsync(pdf, LargePrintPdf(text));
            var start = new System.Diagnostics.ProcessStartInfo("pdftoppm") { RedirectStandardError = true, UseShellExecute = false };
            string[] compression = format switch { "jpeg" => ["-jpegopt", "quality=60"], "tiff" => ["-tiffcompression", "lzw"], _ => [] };
            string[] kind = format == "pgm" ? [] : ["-" + format]; // grey without a format: the raw PGM
            foreach (var argument in (string[])["-r", dpi.ToString(System.Globalization.CultureInfo.InvariantCulture), "-gray", .. kind, .. compression, "-singlefile", pdf, Path.Combine(folder.FullName, "page")])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"pdftoppm could not render the test page: exit {process.ExitCode}, {await error}");
            }

            return await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "page." + format switch { "jpeg" => "jpg", "tiff" => "tif", _ => format }));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A PDF of text pages and scanned pages (a grey JPEG of the page's text at 100 dpi, no text layer), in the order given.</summary>
    public static async Task<byte[]> ScannedPdfAsync(IReadOnlyList<(string Text, bool Scanned)> pages)
    {
        using var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var (text, scanned) in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            if (scanned)
            {
                page.AddJpeg(await PageImageAsync(text, "jpeg", dpi: 100), new PdfRectangle(0, 0, page.PageSize.Width, page.PageSize.Height));
                continue;
            }

            var y = 800.0;
            foreach (var line in Wrap(text, 90))
            {
                page.AddText(line, 10, new PdfPoint(40, y), font);
                y -= 13;
            }
        }

        return builder.Build();
    }

    /// <summary>One A4 page of <paramref name="text"/> in Helvetica 16 pt, for rendering to an image.</summary>
    private static byte[] LargePrintPdf(string text)
    {
        using var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        var y = 780.0;
        foreach (var line in Wrap(text, 55))
        {
            page.AddText(line, 16, new PdfPoint(50, y), font);
            y -= 24;
        }

        return builder.Build();
    }

    /// <summary>A PDF whose only page holds a filled rectangle: no text, and no image of text either (a drawing).</summary>
    public static byte[] DrawingOnlyPdf()
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
