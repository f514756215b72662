using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace OrleansRag.Blobs;

/// <summary>
/// Blobs in a bucket of Amazon S3 or an S3-compatible server (AWSSDK.S3): objects with their content type, ranged
/// GETs, paged listings, the bucket made on first use when it is missing.
/// </summary>
/// <param name="client">The S3 client, with its endpoint and credentials.</param>
/// <param name="bucket">The bucket.</param>
/// <param name="createMissing">False for a store that only reads (a source): a missing bucket is then an error, not made.</param>
public sealed class S3BlobStore(IAmazonS3 client, string bucket, bool createMissing = true) : IBlobStore, IDisposable
{
    private readonly Lock _gate = new();
    private Task? _created;

    public BlobStoreKind Kind => BlobStoreKind.S3;

    /// <summary>
    /// The store of the configured bucket at its service URL (none: AWS itself, by region), signed with
    /// the access key when one is given (else the SDK's default credential chain: environment, profile, instance role).
    /// </summary>
    public static S3BlobStore Connect(S3StoreOptions options, bool createMissing = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Checksums only where S3 requires them: S3-compatible servers do not all know the newer headers.
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrWhiteSpace(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        var client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        return new S3BlobStore(client, options.Bucket!, createMissing);
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        await EnsureBucketAsync().WaitAsync(cancellationToken);
        using var body = new MemoryStream(content.ToArray(), writable: false);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = body,
            ContentType = contentType,
            AutoCloseStream = false,
            UseChunkEncoding = false,
        }, cancellationToken);
    }

    public async Task<BlobItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            var metadata = await client.GetObjectMetadataAsync(bucket, key, cancellationToken);
            return new BlobItem(key, metadata.ContentLength, metadata.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.UnixEpoch, metadata.ETag ?? "");
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
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
            using var response = await client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = bucket,
                Key = key,
                ByteRange = new ByteRange(offset, offset + count - 1),
            }, cancellationToken);
            using var buffer = new MemoryStream((int)Math.Min(count, Math.Max(response.ContentLength, 0)));
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return []; // the range starts past the end
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(key, cancellationToken) is null)
        {
            return false; // S3 answers a delete of nothing with success: ask first
        }

        await client.DeleteObjectAsync(bucket, key, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<BlobItem> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureBucketAsync().WaitAsync(cancellationToken);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            var response = await client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
            {
                yield return new BlobItem(item.Key, item.Size ?? 0, item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.UnixEpoch, item.ETag ?? "");
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public void Dispose() => client.Dispose();

    /// <summary>Makes the bucket once when it is missing; a failed attempt is tried again by the next call.</summary>
    private Task EnsureBucketAsync()
    {
        if (!createMissing)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = CreateBucketAsync(CancellationToken.None); // shared by every caller: not one caller's cancellation
            }

            return _created;
        }
    }

    private async Task CreateBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken);
        }
        catch (AmazonS3Exception exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            try
            {
                await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
            }
            catch (AmazonS3Exception raced) when (raced.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
            {
                // Another silo made it first.
            }
        }
    }
}
