using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace OrleansRag.Blobs;

/// <summary>
/// Blobs in a container of Azure Blob Storage (Azure.Storage.Blobs): block blobs with their content type, ranged
/// downloads, the container made on first use when it is missing (unless <paramref name="createMissing"/> is false: a
/// source only reads, and a container that is not there is an error to report, not one to make).
/// </summary>
public sealed class AzureBlobStore(BlobContainerClient container, bool createMissing = true) : IBlobStore
{
    private readonly Lock _gate = new();
    private Task? _created;

    public BlobStoreKind Kind => BlobStoreKind.AzureBlob;

    /// <summary>The store of the container <paramref name="name"/> reached with <paramref name="connectionString"/>.</summary>
    public static AzureBlobStore Connect(string connectionString, string name, bool createMissing = true) =>
        new(new BlobContainerClient(connectionString, name), createMissing);

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync();
        await container.GetBlobClient(key).UploadAsync(BinaryData.FromBytes(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, cancellationToken);
    }

    public async Task<BlobItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var properties = (await container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new BlobItem(key, properties.ContentLength, properties.LastModified, properties.ETag.ToString("H"));
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
    }

    public async Task<byte[]?> ReadAsync(string key, long offset, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
        {
            return await GetAsync(key, cancellationToken) is null ? null : [];
        }

        try
        {
            var download = await container.GetBlobClient(key).DownloadContentAsync(
                new BlobDownloadOptions { Range = new HttpRange(offset, count) }, cancellationToken);
            return download.Value.Content.ToArray();
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null;
        }
        catch (RequestFailedException exception) when (exception.Status == 416)
        {
            return []; // the range starts past the end
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await container.GetBlobClient(key).DeleteIfExistsAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return false; // no container yet
        }
    }

    public async IAsyncEnumerable<BlobItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            yield return new BlobItem(blob.Name, blob.Properties.ContentLength ?? 0, blob.Properties.LastModified ?? DateTimeOffset.MinValue,
                blob.Properties.ETag?.ToString("H") ?? "");
        }
    }

    /// <summary>Makes the container once; a failed attempt (the service unreachable) is tried again by the next call.</summary>
    private Task EnsureContainerAsync()
    {
        if (!createMissing)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = container.CreateIfNotExistsAsync();
            }

            return _created;
        }
    }
}
