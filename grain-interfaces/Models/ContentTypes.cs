namespace OrleansRag;

/// <summary>A media type the ingestion pipeline reads, with the file extensions that name it.</summary>
/// <param name="MediaType">The canonical media type, e.g. "application/pdf".</param>
/// <param name="Name">A short name for people ("PDF").</param>
/// <param name="IsText">True when the bytes are UTF-8 text (sent as JSON text too); false for binary formats.</param>
/// <param name="Extensions">File extensions, lower case with the dot.</param>
/// <param name="Aliases">Other spellings accepted for the media type.</param>
/// <param name="ReadByOcr">True for images of pages, whose text only OCR can read.</param>
public sealed record class ContentTypeInfo(string MediaType, string Name, bool IsText, IReadOnlyList<string> Extensions, IReadOnlyList<string> Aliases, bool ReadByOcr = false);

/// <summary>
/// The one list of document formats OrleansRag ingests. The HTTP edge, the SDK, the CLI and the extractors
/// all read it; adding a format is an entry here plus its extractor (the silo refuses to start when a
/// declared type has no extractor).
/// </summary>
public static class ContentTypes
{
    public const string PlainText = "text/plain";
    public const string Markdown = "text/markdown";
    public const string Html = "text/html";
    public const string Pdf = "application/pdf";
    public const string Docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Tiff = "image/tiff";

    public static readonly IReadOnlyList<ContentTypeInfo> All =
    [
        new(PlainText, "plain text", true, [".txt", ".text"], ["text", "txt"]),
        new(Markdown, "Markdown", true, [".md", ".markdown"], ["text/x-markdown", "markdown", "md"]),
        new(Html, "HTML", true, [".html", ".htm"], ["application/xhtml+xml", "html", "htm"]),
        new(Pdf, "PDF", false, [".pdf"], ["application/x-pdf", "pdf"]),
        new(Docx, "Word (DOCX)", false, [".docx"], ["docx"]),
        new(Png, "PNG image", false, [".png"], ["png"], ReadByOcr: true),
        new(Jpeg, "JPEG image", false, [".jpg", ".jpeg"], ["image/jpg", "image/pjpeg", "jpg", "jpeg"], ReadByOcr: true),
        new(Tiff, "TIFF image (every page)", false, [".tif", ".tiff"], ["image/tif", "tif", "tiff"], ReadByOcr: true),
    ];

    /// <summary>True for the image formats (<see cref="ContentTypeInfo.ReadByOcr"/>), whose text only OCR can read.</summary>
    public static bool IsImage(string contentType) => Find(contentType)?.ReadByOcr == true;

    /// <summary>The canonical media types, in the order of <see cref="All"/>.</summary>
    public static readonly IReadOnlyList<string> MediaTypes = [.. All.Select(t => t.MediaType)];

    /// <summary>Maps null/empty to text/plain, drops parameters (charset), lower-cases and resolves aliases.</summary>
    public static string Normalize(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return PlainText;
        }

        var bare = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return Find(bare)?.MediaType ?? bare;
    }

    /// <summary>The format of a media type (parameters and aliases allowed), or null when it is not one we read.</summary>
    public static ContentTypeInfo? Find(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var bare = contentType.Split(';', 2)[0].Trim().ToLowerInvariant();
        return All.FirstOrDefault(t => t.MediaType == bare || t.Aliases.Contains(bare));
    }

    /// <summary>The format a file extension (with or without the dot) names, or null.</summary>
    public static ContentTypeInfo? ForExtension(string? extension)
    {
        if (string.IsNullOrWhiteSpace(extension))
        {
            return null;
        }

        var dotted = extension.StartsWith('.') ? extension.ToLowerInvariant() : "." + extension.ToLowerInvariant();
        return All.FirstOrDefault(t => t.Extensions.Contains(dotted));
    }

    /// <summary>"text/plain, text/markdown, …" for error messages.</summary>
    public static string Describe() => string.Join(", ", MediaTypes);
}
