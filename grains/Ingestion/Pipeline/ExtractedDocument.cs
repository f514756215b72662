namespace OrleansRag.Ingestion.Pipeline;

/// <summary>What a block of extracted text is: a heading starts a section; paragraphs and table rows fill it.</summary>
public enum BlockKind
{
    Paragraph,
    Heading,
    TableRow,
}

/// <summary>One block of a document's text in reading order, with the page it is on (PDF) when known.</summary>
public sealed record class TextBlock(string Text, BlockKind Kind = BlockKind.Paragraph, int? Page = null);

/// <summary>
/// The text of a document in reading order, and the title the document gives itself. <see cref="ScannedPages"/> are
/// the pages whose text only OCR can read (PDF pages that are images; every page of an image file); once the OCR stage
/// has read them, their blocks are among <see cref="Blocks"/> and the pages are listed in <see cref="OcrPages"/>.
/// </summary>
public sealed record class ExtractedDocument(IReadOnlyList<TextBlock> Blocks, string? Title = null, int? PageCount = null,
    IReadOnlyList<int>? ScannedPages = null, IReadOnlyList<int>? OcrPages = null)
{
    /// <summary>All of the text, blocks separated by blank lines.</summary>
    public string PlainText => string.Join("\n\n", Blocks.Select(b => b.Text));
}

/// <summary>
/// Limits every extractor honours so that no document can take more memory than it is worth.
/// </summary>
/// <param name="MaxDocumentBytes">Largest source accepted (Ingestion:MaxDocumentBytes).</param>
/// <param name="MaxExpandedBytes">Largest uncompressed size of a container format (DOCX parts).</param>
public sealed record class ExtractionLimits(long MaxDocumentBytes, long MaxExpandedBytes);

/// <summary>
/// The first stage of the ingestion pipeline for one media type: turns a file's bytes into text blocks.
/// One implementation per entry of <see cref="ContentTypes.All"/>.
/// </summary>
public interface IDocumentExtractor
{
    /// <summary>The canonical media type this extractor reads.</summary>
    string ContentType { get; }

    /// <summary>
    /// A quick look at the bytes before they are accepted (a signature, valid UTF-8): throws
    /// <see cref="DocumentRejectedException"/> when they cannot be what the content type says.
    /// </summary>
    void Check(ReadOnlySpan<byte> content);

    /// <summary>
    /// The document's text in reading order; throws <see cref="DocumentRejectedException"/> for a file that
    /// cannot be read (corrupt, encrypted, nothing but images) or that exceeds <paramref name="limits"/>.
    /// </summary>
    ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken);
}
