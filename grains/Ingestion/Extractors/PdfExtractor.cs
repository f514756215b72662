using OrleansRag.Ingestion.Pipeline;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// application/pdf through PdfPig: each page's text in reading order (content order of its letters), paragraphs
/// at blank lines, each block with its page number. Pages that are images of text (scanned) are listed for the OCR
/// stage instead. Encrypted and corrupt PDFs are refused with the reason. Title: the document information's Title.
/// </summary>
public sealed class PdfExtractor : IDocumentExtractor
{
    /// <summary>A page with fewer letters and digits than this, and an image, is a scanned page (a page number or a stamp at most).</summary>
    private const int ScannedPageLetters = 20;

    public string ContentType => ContentTypes.Pdf;

    public void Check(ReadOnlySpan<byte> content)
    {
        // The header may follow some junk, but must come within the first kilobyte (PDF 32000-1, 7.5.2 and common practice).
        var head = content[..Math.Min(content.Length, 1024)];
        if (head.IndexOf("%PDF-"u8) < 0)
        {
            throw new DocumentRejectedException("The body was sent as application/pdf but is not a PDF (no %PDF- header).");
        }
    }

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        Check(content.Span);
        PdfDocument pdf;
        try
        {
            pdf = PdfDocument.Open(content, new ParsingOptions { UseLenientParsing = true, SkipMissingFonts = true });
        }
        catch (PdfDocumentEncryptedException exception)
        {
            throw new DocumentRejectedException("The PDF is encrypted (password-protected); send an unencrypted copy.", exception);
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new DocumentRejectedException($"The PDF cannot be read: {exception.Message}", exception);
        }

        using (pdf)
        {
            if (pdf.IsEncrypted && pdf.NumberOfPages == 0)
            {
                throw new DocumentRejectedException("The PDF is encrypted (password-protected); send an unencrypted copy.");
            }

            var blocks = new List<TextBlock>();
            var scanned = new List<int>();
            var letters = 0L;
            var pages = 0;
            try
            {
                for (var number = 1; number <= pdf.NumberOfPages; number++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var page = pdf.GetPage(number);
                    pages++;
                    var text = ContentOrderTextExtractor.GetText(page);
                    var pageLetters = text.Count(char.IsLetterOrDigit);
                    letters += pageLetters;
                    if (pageLetters < ScannedPageLetters && page.GetImages().Any())
                    {
                        scanned.Add(number); // an image of a page (a page number or a title at most as text): for OCR, its text kept as a fallback
                    }

                    foreach (var paragraph in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!string.IsNullOrWhiteSpace(paragraph))
                        {
                            blocks.Add(new TextBlock(paragraph, BlockKind.Paragraph, number));
                        }
                    }
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new DocumentRejectedException($"The PDF cannot be read (page {pages + 1}): {exception.Message}", exception);
            }

            if (letters == 0 && scanned.Count == 0)
            {
                throw new DocumentRejectedException($"The PDF has no extractable text, and no scanned pages (images of text) for OCR, on any of its {pages} pages.");
            }

            var title = pdf.Information.Title is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null;
            return new ExtractedDocument(blocks, title, pages, scanned);
        }
    }
}
