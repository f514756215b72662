namespace OrleansRag.Sources;

/// <summary>
/// Reads one source: lists it whole (or throws: a listing that fails part-way must never count as complete, since
/// documents missing from it would be deleted), then reads the files a sync needs. One reader serves one sync.
/// </summary>
public interface ISourceReader : IDisposable
{
    /// <summary>Every file of the source, each with its version; throws when the source cannot be listed.</summary>
    IAsyncEnumerable<SourceEntry> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether the last listing stopped at a limit (a web source's page limit) rather than at the end of the source: then
    /// files missing from it are not known to be gone, and their documents are kept.
    /// </summary>
    bool Truncated { get; }

    /// <summary>
    /// The content of a listed file, at most <paramref name="maxBytes"/>, with the media type it is read as;
    /// <see cref="SourceFileException"/> for a problem of that file alone (too large, gone since the listing, a link, a
    /// format not read), anything else when the source itself fails.
    /// </summary>
    Task<SourceContent> ReadAsync(SourceEntry entry, long maxBytes, CancellationToken cancellationToken);
}

/// <summary>A file's bytes and the media type they are read as.</summary>
public sealed record class SourceContent(byte[] Bytes, string ContentType);

/// <summary>A problem of one file (too large, gone, refused): recorded against the file, the sync goes on.</summary>
public sealed class SourceFileException : Exception
{
    public SourceFileException()
    {
    }

    public SourceFileException(string message)
        : base(message)
    {
    }

    public SourceFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static SourceFileException TooLarge(string path, long length, long maxBytes) =>
        new($"'{path}' is {length:N0} bytes; the limit is {maxBytes:N0} (Ingestion:MaxDocumentBytes).");
}

/// <summary>A source that cannot be read as configured (a folder outside the roots, a private address): the sync fails with this message.</summary>
public sealed class SourceRefusedException(string message) : Exception(message);
