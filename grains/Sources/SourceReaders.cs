using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using OrleansRag.Ingestion;

namespace OrleansRag.Sources;

/// <summary>Opens the reader of a source's kind with the silo's rules (<see cref="SourceOptions"/>).</summary>
public sealed class SourceReaders(IOptions<SourceOptions> options, IOptions<IngestionOptions> ingestion)
{
    public SourceOptions Options => options.Value;

    /// <summary>The most bytes one file may have: the documents' own limit.</summary>
    public long MaxFileBytes => ingestion.Value.MaxDocumentBytes;

    /// <summary>
    /// Checks what only the silo can: a folder under the roots, a site's addresses' form, an S3 source's own keys, and a
    /// bucket's or container's endpoint on a public address; <see cref="SourceRefusedException"/> when refused.
    /// </summary>
    public async Task CheckAsync(SourceSettings settings, SourceSecrets secrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(secrets);
        switch (settings.Kind)
        {
            case SourceKind.Folder:
                FolderSourceReader.Confine(settings.Path!, options.Value.FolderRoots);
                break;
            case SourceKind.Web:
                WebSourceReader.Open(settings, options.Value, MaxFileBytes).Dispose();
                break;
            case SourceKind.S3:
                if (string.IsNullOrEmpty(settings.AccessKey) && !options.Value.AllowSiloCredentials)
                {
                    throw new SourceRefusedException("An s3 source needs accessKey and secretKey: the silo's own AWS credentials are used only where an operator sets Sources:AllowSiloCredentials.");
                }

                if (settings.ServiceUrl is { } serviceUrl)
                {
                    await PublicAddresses.EnsurePublicAsync(new Uri(serviceUrl), options.Value.AllowPrivateNetworks, "serviceUrl", cancellationToken);
                }

                break;
            case SourceKind.AzureBlob:
                await PublicAddresses.EnsurePublicAsync(BlobEndpoint(secrets.ConnectionString!, settings.Container!), options.Value.AllowPrivateNetworks, "The storage account's endpoint", cancellationToken);
                break;
        }
    }

    /// <summary>The reader of a source, its settings checked again first (the silo's rules may have changed since it was added).</summary>
    public async Task<ISourceReader> OpenAsync(SourceSettings settings, SourceSecrets secrets, CancellationToken cancellationToken)
    {
        await CheckAsync(settings, secrets, cancellationToken);
        return settings.Kind switch
        {
            SourceKind.Folder => FolderSourceReader.Open(settings.Path!, options.Value.FolderRoots),
            SourceKind.Web => WebSourceReader.Open(settings, options.Value, MaxFileBytes),
            _ => BlobSourceReader.Open(settings, secrets),
        };
    }

    /// <summary>Where a connection string points (parsed, nothing sent).</summary>
    private static Uri BlobEndpoint(string connectionString, string container)
    {
        try
        {
            return new BlobContainerClient(connectionString, container).Uri;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new SourceRefusedException("connectionString is not an Azure Storage connection string (AccountName=...;AccountKey=...; or BlobEndpoint=...).");
        }
    }
}
