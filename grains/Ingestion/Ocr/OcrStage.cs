using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>
/// The pipeline's OCR stage: reads a document's scanned pages (<see cref="ExtractedDocument.ScannedPages"/>) and puts
/// their paragraphs among the other blocks in page order, so chunks keep their page numbers; mixed PDFs have only the
/// pages without text read. Without OCR, a document whose every page is scanned is refused with how to turn OCR on, and
/// a mixed PDF keeps the pages that have text.
/// </summary>
public sealed class OcrStage(IOcrEngine engine, IOptions<OcrOptions> options)
{
    /// <summary><paramref name="extracted"/> with the text of its scanned pages; unchanged when it has none.</summary>
    public async Task<ExtractedDocument> ReadAsync(ExtractedDocument extracted, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(extracted);
        var scanned = extracted.ScannedPages ?? [];
        if (scanned.Count == 0)
        {
            return extracted;
        }

        await engine.Checked.WaitAsync(cancellationToken).ConfigureAwait(false); // a job resumed as the silo starts waits for the check
        if (engine.Unavailable is { } reason)
        {
            return extracted.Blocks.Count > 0
                ? extracted
                : throw new DocumentRejectedException(ContentTypes.IsImage(contentType)
                    ? $"Images are read by OCR. {reason}"
                    : $"The PDF has no text layer on any of its {extracted.PageCount} pages (a scanned PDF). {reason}");
        }

        if (scanned.Count > options.Value.MaxPages)
        {
            throw new DocumentRejectedException($"The document has {scanned.Count} scanned pages; OCR reads at most {options.Value.MaxPages} per document (Ocr:MaxPages).");
        }

        var texts = ContentTypes.IsImage(contentType)
            ? await engine.ReadImageAsync(content, scanned.Count, cancellationToken).ConfigureAwait(false)
            : await engine.ReadPdfPagesAsync(content, scanned, cancellationToken).ConfigureAwait(false);
        var read = new List<TextBlock>();
        var pages = new List<int>();
        for (var i = 0; i < Math.Min(texts.Count, scanned.Count); i++)
        {
            var paragraphs = texts[i].Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (paragraphs.Length > 0)
            {
                pages.Add(scanned[i]);
                read.AddRange(paragraphs.Select(paragraph => new TextBlock(paragraph, BlockKind.Paragraph, scanned[i])));
            }
        }

        if (read.Count == 0 && extracted.Blocks.Count == 0)
        {
            throw new DocumentRejectedException($"OCR found no text on the {scanned.Count} scanned page(s) ({engine.Description}, Ocr:Language {options.Value.Language}).");
        }

        // Pages in order; within a page the blocks keep their order (a page is either text or scanned).
        var blocks = extracted.Blocks.Concat(read).OrderBy(block => block.Page ?? 0).ToList();
        return extracted with { Blocks = blocks, OcrPages = pages };
    }
}
