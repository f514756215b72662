namespace OrleansRag.Blobs;

/// <summary>A stored blob's size and version: what a listing or a lookup tells without reading the content.</summary>
/// <param name="Key">The blob's key, '/'-separated.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="LastModified">When it was last written.</param>
/// <param name="ETag">Changes whenever the content changes (the store's own entity tag, or size and time for a folder).</param>
public sealed record class BlobItem(string Key, long Length, DateTimeOffset LastModified, string ETag);

/// <summary>
/// Where whole files are kept: a folder on disk, Azure Blob Storage or an S3-compatible bucket (<see cref="BlobStoreKind"/>),
/// chosen by configuration (<see cref="BlobStoreOptions"/>). Keys are '/'-separated paths of safe segments (see
/// <see cref="BlobKeys"/>). Writes replace a blob whole; reads take a range, so a large file is never held at once.
/// </summary>
public interface IBlobStore
{
    /// <summary>What kind of store this is, for logs and the health report.</summary>
    BlobStoreKind Kind { get; }

    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing what was there.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>The blob's size and version; null when there is none under <paramref name="key"/>.</summary>
    Task<BlobItem?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="count"/> bytes from <paramref name="offset"/> (fewer at the end, none past it); null when
    /// there is no blob under <paramref name="key"/>.
    /// </summary>
    Task<byte[]?> ReadAsync(string key, long offset, int count, CancellationToken cancellationToken = default);

    /// <summary>Removes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Every blob whose key starts with <paramref name="prefix"/>, in key order.</summary>
    IAsyncEnumerable<BlobItem> ListAsync(string prefix, CancellationToken cancellationToken = default);
}

/// <summary>The kinds of blob store.</summary>
public enum BlobStoreKind
{
    /// <summary>A folder on the silo's file system (shared by all silos in a cluster: a network volume).</summary>
    Folder,

    /// <summary>A container of Azure Blob Storage (or Azurite).</summary>
    AzureBlob,

    /// <summary>A bucket of Amazon S3 or any S3-compatible server (MinIO, Ceph, s3rver).</summary>
    S3,
}
