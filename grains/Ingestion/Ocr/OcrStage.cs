using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Ocr;

/// <summary>
/// The pipeline's OCR stage: reads a document's scanned pages (<see cref="ExtractedDocument.ScannedPages"/>) and puts
/// their paragraphs among the other blocks in page order, in place of the little text those pages had (a page number, a
/// title under a picture), so chunks keep their page numbers; mixed PDFs have only the pages without text read. A page
/// OCR finds empty keeps its own text. Without OCR, a document whose every page is scanned is refused with how to turn
/// OCR on, and a mixed PDF keeps the text it has.
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

        // A job resumed as the silo starts waits for the check (bounded: a host that never starts its services reads as off).
        try
        {
            await engine.Checked.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // not checked: Unavailable still says so
        }

        if (engine.Unavailable is { } reason)
        {
            return ContentTypes.IsImage(contentType) ? throw new DocumentRejectedException($"Images are read by OCR. {reason}")
                : scanned.Count < extracted.PageCount ? extracted
                : throw new DocumentRejectedException($"The PDF has no text layer on any of its {extracted.PageCount} pages (a scanned PDF). {reason}");
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

        var replaced = pages.ToHashSet();
        var kept = extracted.Blocks.Where(block => block.Page is not { } page || !replaced.Contains(page)).ToList();
        if (read.Count == 0 && kept.Count == 0)
        {
            throw new DocumentRejectedException($"OCR found no text on the {scanned.Count} scanned page(s) ({engine.Description}, Ocr:Language {options.Value.Language}).");
        }

        // Pages in order; within a page the blocks keep their order (a page's text is its own or OCR's, never both).
        var blocks = kept.Concat(read).OrderBy(block => block.Page ?? 0).ToList();
        return extracted with { Blocks = blocks, OcrPages = pages };
    }
}
