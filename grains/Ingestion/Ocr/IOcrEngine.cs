namespace OrleansRag.Ingestion.Ocr;

/// <summary>
/// Reads the text of scanned pages: uploaded images and PDF pages that have no text layer. One text per page, in page
/// order; paragraphs separated by blank lines. A page that cannot be read (a timeout, a program that fails) throws
/// <see cref="DocumentRejectedException"/> with the reason: the same page would fail again.
/// </summary>
public interface IOcrEngine
{
    /// <summary>Completes once the engine knows whether it can read pages (when the host has started).</summary>
    Task Checked { get; }

    /// <summary>Null when pages can be read; otherwise why not, and how to turn OCR on (meaningful once <see cref="Checked"/>).</summary>
    string? Unavailable { get; }

    /// <summary>The engine and its languages, e.g. "tesseract 5.3.0 (eng)", for documents and logs.</summary>
    string Description { get; }

    /// <summary>The text of each page of an image file (PNG, JPEG, or a TIFF of one or more pages).</summary>
    Task<IReadOnlyList<string>> ReadImageAsync(ReadOnlyMemory<byte> image, int pages, CancellationToken cancellationToken);

    /// <summary>The text of the given 1-based <paramref name="pages"/> of a PDF, rendered as images first; in the order given.</summary>
    Task<IReadOnlyList<string>> ReadPdfPagesAsync(ReadOnlyMemory<byte> pdf, IReadOnlyList<int> pages, CancellationToken cancellationToken);
}
