using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Blobs;

/// <summary>
/// Configuration section "BlobStore": where whole files are kept (the originals of ingested documents). A folder by
/// default; Azure Blob Storage or an S3-compatible bucket in production.
/// </summary>
public sealed class BlobStoreOptions : IValidatableObject
{
    public const string SectionName = "BlobStore";

    [EnumDataType(typeof(BlobStoreKind))]
    public BlobStoreKind Kind { get; set; } = BlobStoreKind.Folder;

    /// <summary>
    /// Folder: where files are kept. Empty: a temporary folder removed when the silo stops, like the rest of the embedded
    /// default's data; production mode (Redis storage) needs a folder every silo shares, or another kind.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>AzureBlob: the storage account and container.</summary>
    public AzureBlobStoreOptions AzureBlob { get; set; } = new();

    /// <summary>S3: the endpoint, bucket and key.</summary>
    public S3StoreOptions S3 { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kind == BlobStoreKind.AzureBlob && (string.IsNullOrWhiteSpace(AzureBlob.ConnectionString) || string.IsNullOrWhiteSpace(AzureBlob.Container)))
        {
            yield return new ValidationResult("BlobStore:Kind AzureBlob needs BlobStore:AzureBlob:ConnectionString and BlobStore:AzureBlob:Container.",
                [nameof(AzureBlob)]);
        }

        if (Kind == BlobStoreKind.S3 && string.IsNullOrWhiteSpace(S3.Bucket))
        {
            yield return new ValidationResult("BlobStore:Kind S3 needs BlobStore:S3:Bucket (and BlobStore:S3:ServiceUrl for a server other than AWS).", [nameof(S3)]);
        }

        if (Kind == BlobStoreKind.S3 && string.IsNullOrEmpty(S3.AccessKey) != string.IsNullOrEmpty(S3.SecretKey))
        {
            yield return new ValidationResult("BlobStore:S3:AccessKey and BlobStore:S3:SecretKey go together (or neither, for the SDK's default credentials).", [nameof(S3)]);
        }

        if (Kind == BlobStoreKind.S3 && !string.IsNullOrWhiteSpace(S3.ServiceUrl) && !Uri.TryCreate(S3.ServiceUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"BlobStore:S3:ServiceUrl must be an absolute URL; it was '{S3.ServiceUrl}'.", [nameof(S3)]);
        }
    }
}

public sealed class AzureBlobStoreOptions
{
    /// <summary>The storage account's connection string (a secret: never logged nor shown).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The container (made when missing).</summary>
    public string Container { get; set; } = "orleansrag";
}

public sealed class S3StoreOptions
{
    /// <summary>The endpoint of an S3-compatible server (MinIO, Ceph, ...); empty for AWS itself (by <see cref="Region"/>).</summary>
    public string? ServiceUrl { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>The bucket (made when missing).</summary>
    public string? Bucket { get; set; }

    /// <summary>The access key id; empty: the SDK's default credentials (environment, profile, instance role).</summary>
    public string? AccessKey { get; set; }

    /// <summary>The secret access key (a secret: never logged nor shown).</summary>
    public string? SecretKey { get; set; }

    /// <summary>Bucket in the path (https://host/bucket/key) rather than the host name: what most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; } = true;
}

/// <summary>Makes the configured store.</summary>
public static class BlobStores
{
    public static IBlobStore Create(BlobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind switch
        {
            BlobStoreKind.AzureBlob => AzureBlobStore.Connect(options.AzureBlob.ConnectionString!, options.AzureBlob.Container),
            BlobStoreKind.S3 => S3BlobStore.Connect(options.S3),
            _ => string.IsNullOrWhiteSpace(options.Path)
                ? new FolderBlobStore(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"orleansrag-blobs-{Environment.ProcessId}-{Guid.NewGuid():N}"), deleteOnDispose: true)
                : new FolderBlobStore(options.Path),
        };
    }
}
