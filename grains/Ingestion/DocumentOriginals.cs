using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRag.Blobs;

namespace OrleansRag.Ingestion;

/// <summary>
/// The original files of documents, kept in the blob store after ingestion (<see cref="IngestionOptions.KeepSources"/>)
/// so that a citation can open the page it names. One blob per version:
/// <c>originals/{tenant}/{collection}/{document}/{version}</c>; a version's blob is written before its commit and the
/// replaced version's is removed after it, so the served version always has its original.
/// </summary>
public sealed partial class DocumentOriginals(IBlobStore store, IOptions<IngestionOptions> options, ILogger<DocumentOriginals> logger)
{
    /// <summary>The bytes one read of an original returns at most (an HTTP download is a series of them).</summary>
    public const int MaxReadBytes = 1024 * 1024;

    /// <summary>Whether originals are kept (<see cref="IngestionOptions.KeepSources"/>).</summary>
    public bool Keeps => options.Value.KeepSources;

    /// <summary>The key of a document version's original.</summary>
    public static string Key(string documentKey, string version)
    {
        var (collectionKey, documentId) = GrainKeys.SplitLast(documentKey);
        var (tenant, collection) = GrainKeys.SplitLast(collectionKey);
        return "originals/" + BlobKeys.Of(tenant, collection, documentId, version);
    }

    /// <summary>Keeps <paramref name="content"/> as the original of a version; null when originals are not kept.</summary>
    public async Task<string?> KeepAsync(string documentKey, string version, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken)
    {
        if (!Keeps)
        {
            return null;
        }

        var key = Key(documentKey, version);
        await store.PutAsync(key, content, contentType, cancellationToken);
        return key;
    }

    /// <summary>The original of the version <paramref name="state"/> serves (type, size, whether it was kept); null when none is served.</summary>
    public static DocumentOriginal? Describe(DocumentState state) => state is { Exists: true, Version: { } version }
        ? new DocumentOriginal(version, state.ContentType, state.SourceBytes ?? 0, state.Original is not null)
        : null;

    /// <summary>
    /// Up to <paramref name="count"/> bytes (at most <see cref="MaxReadBytes"/>) of the original of <paramref name="version"/>
    /// from <paramref name="offset"/>, while <paramref name="state"/> serves it; else <see cref="DocumentChangedException"/>.
    /// </summary>
    public async Task<byte[]> ReadServedAsync(string documentId, DocumentState state, string version, long offset, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state is not { Exists: true, Original: { } key } || state.Version != version)
        {
            throw new DocumentChangedException($"Document '{documentId}' changed while its original was read (version {version} is no longer served); read it again.");
        }

        return await store.ReadAsync(key, offset, Math.Min(count, MaxReadBytes), cancellationToken)
            ?? throw new DocumentChangedException($"The original of document '{documentId}' is missing from the blob store.");
    }

    /// <summary>Removes an original that is no longer served (nothing for null); a failure is logged, never thrown.</summary>
    public async Task ForgetAsync(string? key)
    {
        if (key is null)
        {
            return;
        }

        try
        {
            await store.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogForgetFailed(exception, key);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The original {Key} could not be removed from the blob store; it stays until removed by hand")]
    private partial void LogForgetFailed(Exception exception, string key);
}
