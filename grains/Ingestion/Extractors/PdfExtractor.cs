using OrleansRag.Ingestion.Pipeline;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// application/pdf through PdfPig: each page's text in reading order (content order of its letters), paragraphs
/// at blank lines, each block with its page number. Encrypted, corrupt and image-only PDFs are refused with
/// the reason. Title: the document information's Title.
/// </summary>
public sealed class PdfExtractor : IDocumentExtractor
{
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
                    letters += text.Count(char.IsLetterOrDigit);
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

            if (letters == 0)
            {
                throw new DocumentRejectedException(
                    $"The PDF has no extractable text on any of its {pages} pages (a scanned or image-only PDF); OrleansRag does not do OCR, so send a PDF with a text layer.");
            }

            var title = pdf.Information.Title is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null;
            return new ExtractedDocument(blocks, title, pages);
        }
    }
}
