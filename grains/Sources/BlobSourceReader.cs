using System.Runtime.CompilerServices;
using OrleansRag.Blobs;

namespace OrleansRag.Sources;

/// <summary>
/// A container of Azure Blob Storage or an S3 bucket, under an optional prefix, read through the blob stores (never
/// written: a missing container or bucket is an error, not made). A blob's version is its ETag; its format comes from
/// its name's extension, as for a folder.
/// </summary>
public sealed class BlobSourceReader(IBlobStore store, string prefix) : ISourceReader
{
    /// <summary>The reader of a source's bucket or container, with its credentials.</summary>
    public static BlobSourceReader Open(SourceSettings settings, SourceSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(secrets);
        var prefix = (settings.Prefix ?? "").Trim('/');
        prefix = prefix.Length == 0 ? "" : prefix + "/"; // a folder of the bucket: "docs" never takes in "docs-old/"
        return settings.Kind switch
        {
            SourceKind.AzureBlob => new(AzureBlobStore.Connect(secrets.ConnectionString!, settings.Container!, createMissing: false), prefix),
            SourceKind.S3 => new(S3BlobStore.Connect(new S3StoreOptions
            {
                ServiceUrl = settings.ServiceUrl,
                Region = settings.Region ?? "us-east-1",
                Bucket = settings.Bucket,
                AccessKey = settings.AccessKey,
                SecretKey = secrets.SecretKey,
            }, createMissing: false), prefix),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Kind, "not a blob source"),
        };
    }

    public async IAsyncEnumerable<SourceEntry> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in store.ListAsync(prefix, cancellationToken))
        {
            var relative = blob.Key[prefix.Length..].TrimStart('/');
            if (relative.Length == 0 || relative.EndsWith('/'))
            {
                continue; // a "folder" marker some tools write
            }

            yield return new SourceEntry(relative, blob.ETag.Length > 0 ? blob.ETag : $"{blob.Length}:{blob.LastModified.UtcTicks}",
                ContentTypes.ForExtension(Path.GetExtension(relative))?.MediaType, blob.Length);
        }
    }

    public bool Truncated => false;

    public async Task<SourceContent> ReadAsync(SourceEntry entry, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var key = prefix + entry.Path;
        if (entry.Path.Split('/').Any(s => s is "." or ".."))
        {
            throw new SourceFileException($"'{entry.Path}' is not a key under the source's prefix.");
        }

        // The blob as it is now: it may have grown or gone since the listing.
        var item = await store.GetAsync(key, cancellationToken) ?? throw new SourceFileException($"'{entry.Path}' was removed during the sync.");
        if (item.Length > maxBytes)
        {
            throw SourceFileException.TooLarge(entry.Path, item.Length, maxBytes);
        }

        using var content = new MemoryStream((int)item.Length);
        const int Piece = 4 * 1024 * 1024;
        while (content.Length < item.Length)
        {
            var part = await store.ReadAsync(key, content.Length, Piece, cancellationToken) ?? throw new SourceFileException($"'{entry.Path}' was removed during the sync.");
            if (part.Length == 0)
            {
                break;
            }

            content.Write(part);
        }

        return new SourceContent(content.ToArray(), entry.ContentType!);
    }

    public void Dispose() => (store as IDisposable)?.Dispose();
}
