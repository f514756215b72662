using Microsoft.Extensions.Options;
using OrleansRag.Ingestion;

namespace OrleansRag.Sources;

/// <summary>Opens the reader of a source's kind with the silo's rules (<see cref="SourceOptions"/>).</summary>
public sealed class SourceReaders(IOptions<SourceOptions> options, IOptions<IngestionOptions> ingestion)
{
    public SourceOptions Options => options.Value;

    /// <summary>The most bytes one file may have: the documents' own limit.</summary>
    public long MaxFileBytes => ingestion.Value.MaxDocumentBytes;

    /// <summary>Checks what only the silo can (a folder under the roots, a site's addresses' form); <see cref="SourceRefusedException"/> when refused.</summary>
    public void Check(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        switch (settings.Kind)
        {
            case SourceKind.Folder:
                FolderSourceReader.Confine(settings.Path!, options.Value.FolderRoots);
                break;
            case SourceKind.Web:
                WebSourceReader.Open(settings, options.Value, MaxFileBytes).Dispose();
                break;
        }
    }

    public ISourceReader Open(SourceSettings settings, SourceSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Kind switch
        {
            SourceKind.Folder => FolderSourceReader.Open(settings.Path!, options.Value.FolderRoots),
            SourceKind.Web => WebSourceReader.Open(settings, options.Value, MaxFileBytes),
            _ => BlobSourceReader.Open(settings, secrets),
        };
    }
}
