using Microsoft.Extensions.Options;
using OrleansRag.Ingestion.Ocr;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>
/// An image of pages (PNG, JPEG, TIFF): no text of its own, every page scanned (<see cref="ExtractedDocument.ScannedPages"/>)
/// for the OCR stage to read (which refuses it, with how to turn OCR on, when the silo cannot read images; the HTTP edge
/// refuses it at once). Only the signature is checked here: an image imported with its chunks needs no OCR.
/// </summary>
public abstract class ImageExtractor(IOptions<OcrOptions> options) : IDocumentExtractor
{
    public abstract string ContentType { get; }

    /// <summary>The file's signature (its first bytes), one of which it must start with.</summary>
    protected abstract IReadOnlyList<byte[]> Signatures { get; }

    public void Check(ReadOnlySpan<byte> content)
    {
        var name = ContentTypes.Find(ContentType)!.Name;
        var matches = false;
        foreach (var signature in Signatures)
        {
            matches |= content.StartsWith(signature);
        }

        if (!matches)
        {
            throw new DocumentRejectedException($"The body was sent as {ContentType} but is not a {name.Split(' ')[0]} file (its first bytes are not the format's signature).");
        }
    }

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        Check(content.Span);
        var (pages, pixels) = OcrText.Measure(content.Span, ContentType, options.Value.MaxPages);
        if (pixels > options.Value.MaxImagePixels)
        {
            throw new DocumentRejectedException($"The image is {pixels:N0} pixels; OCR reads images of at most {options.Value.MaxImagePixels:N0} (Ocr:MaxImagePixels).");
        }

        if (pages == 0)
        {
            throw new DocumentRejectedException("The TIFF has no pages.");
        }

        // More pages than Ocr:MaxPages are refused by the OCR stage, as a PDF's scanned pages are.
        return new ExtractedDocument([], null, pages, [.. Enumerable.Range(1, pages)]);
    }
}

/// <summary>image/png, read by OCR.</summary>
public sealed class PngExtractor(IOptions<OcrOptions> options) : ImageExtractor(options)
{
    public override string ContentType => ContentTypes.Png;

    protected override IReadOnlyList<byte[]> Signatures { get; } = [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]];
}

/// <summary>image/jpeg, read by OCR.</summary>
public sealed class JpegExtractor(IOptions<OcrOptions> options) : ImageExtractor(options)
{
    public override string ContentType => ContentTypes.Jpeg;

    protected override IReadOnlyList<byte[]> Signatures { get; } = [[0xFF, 0xD8, 0xFF]];
}

/// <summary>image/tiff (every page), read by OCR.</summary>
public sealed class TiffExtractor(IOptions<OcrOptions> options) : ImageExtractor(options)
{
    public override string ContentType => ContentTypes.Tiff;

    protected override IReadOnlyList<byte[]> Signatures { get; } = [[(byte)'I', (byte)'I', 42, 0], [(byte)'M', (byte)'M', 0, 42]];
}
