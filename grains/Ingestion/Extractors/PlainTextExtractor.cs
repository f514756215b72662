using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion.Extractors;

/// <summary>text/plain: paragraphs separated by blank lines; a short first line on its own reads as the title.</summary>
public sealed class PlainTextExtractor : IDocumentExtractor
{
    public string ContentType => ContentTypes.PlainText;

    public void Check(ReadOnlySpan<byte> content) => TextContent.Check(content, ContentType);

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionLimits limits, CancellationToken cancellationToken)
    {
        Check(content.Span);
        return FromText(TextContent.Decode(content.Span));
    }

    /// <summary>The blocks of a plain text (also used for text that arrives as JSON).</summary>
    public static ExtractedDocument FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var blocks = SentenceSplitter.Paragraphs(text).Select(p => new TextBlock(p)).ToList();
        return new ExtractedDocument(blocks, PlainTitle(text));
    }

    /// <summary>A short first line followed by a blank line, not ending like a sentence, reads as a title.</summary>
    private static string? PlainTitle(string text)
    {
        var lines = text.TrimStart().Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', 3);
        return lines.Length >= 2 && lines[0].Trim() is { Length: > 0 and <= 120 } first && lines[1].Trim().Length == 0
            && !first.EndsWith('.') ? first : null;
    }
}
