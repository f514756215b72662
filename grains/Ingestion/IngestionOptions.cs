using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Ingestion;

/// <summary>Configuration section "Ingestion".</summary>
public sealed class IngestionOptions : IValidatableObject
{
    public const string SectionName = "Ingestion";

    /// <summary>Retrieval shards per new collection (fixed for the collection's life).</summary>
    [Range(1, 1024)]
    public int ShardCount { get; set; } = 8;

    /// <summary>
    /// Largest document accepted: a file's bytes, or a JSON text's UTF-8 bytes; larger ones get HTTP 413. The
    /// HTTP request limit is derived from it.
    /// </summary>
    [Range(1, 512 * 1024 * 1024)]
    public int MaxDocumentBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Largest uncompressed size of a container format (the parts of a DOCX); beyond it the file is refused as a zip bomb.</summary>
    [Range(1, 4L * 1024 * 1024 * 1024)]
    public long MaxExpandedBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>
    /// Text documents (JSON text, or plain/Markdown/HTML files) up to this many bytes are ingested while the
    /// request waits (201/200); larger ones and every binary format (PDF, DOCX) are queued (202) and processed
    /// in the background.
    /// </summary>
    [Range(0, 64 * 1024 * 1024)]
    public int SyncMaxBytes { get; set; } = 256 * 1024;

    /// <summary>Texts per call to the embedding service: bounded so that no call runs long and questions get in between.</summary>
    [Range(1, 1024)]
    public int EmbedBatchSize { get; set; } = 32;

    /// <summary>
    /// Store a vector per sentence with each chunk (pooled from the chunk's own forward pass, int8, ~390 bytes per
    /// sentence with the default model), so the extractive generator embeds nothing at question time. Off saves
    /// that memory; answers then embed their candidate sentences when asked.
    /// </summary>
    public bool SentenceVectors { get; set; } = true;

    /// <summary>Chunks per stored part of a large document (each part is one shard call and one storage write).</summary>
    [Range(16, 65536)]
    public int PartChunks { get; set; } = 256;

    /// <summary>Attempts of a background ingest before it is marked failed (transient failures only; a bad file fails at once).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the second attempt; doubled for each further one, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Keep each document's original file after ingestion (in the <see cref="Blobs.BlobStoreOptions">blob store</see>), so
    /// GET .../documents/{id}/content returns it and citations link to it. Off: files are dropped once ingested.
    /// </summary>
    public bool KeepSources { get; set; } = true;

    /// <summary>Largest archive POST .../import takes (it is kept in a temporary file while it is checked).</summary>
    [Range(1, long.MaxValue)]
    public long MaxArchiveBytes { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Where to post an event when a document becomes ready or fails (<see cref="IngestionEvents"/>).</summary>
    public IList<IngestionWebhook> Webhooks { get; } = [];

    /// <summary>Word pieces per chunk (the title, when embedded with the chunk, counts against the model limit).</summary>
    [Range(16, 8192)]
    public int ChunkTokens { get; set; } = 200;

    /// <summary>Word pieces of trailing context repeated at the start of the next chunk (whole sentences).</summary>
    [Range(0, 4096)]
    public int ChunkOverlapTokens { get; set; } = 32;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Webhooks.Count; i++)
        {
            var webhook = Webhooks[i];
            if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult($"Ingestion:Webhooks:{i}:Url must be an absolute http(s) URL; it was '{webhook.Url}'.", [nameof(Webhooks)]);
            }

            if (webhook.Secret.Length < IngestionWebhook.MinSecretLength)
            {
                yield return new ValidationResult(
                    $"Ingestion:Webhooks:{i}:Secret must be at least {IngestionWebhook.MinSecretLength} characters: every body is signed with it (HMAC-SHA256).",
                    [nameof(Webhooks)]);
            }

            foreach (var kind in webhook.Events.Where(e => e is not (DocumentEvent.Ready or DocumentEvent.Failed)))
            {
                yield return new ValidationResult(
                    $"Ingestion:Webhooks:{i}:Events holds '{kind}'; the events are {DocumentEvent.Ready} and {DocumentEvent.Failed}.", [nameof(Webhooks)]);
            }
        }
    }
}

/// <summary>A receiver of ingestion events: its URL, the secret its bodies are signed with, and which events and tenants it wants.</summary>
public sealed class IngestionWebhook
{
    public const int MinSecretLength = 16;

    public string Url { get; set; } = "";

    /// <summary>The HMAC-SHA256 key of the signature header (a secret: never logged nor shown).</summary>
    public string Secret { get; set; } = "";

    /// <summary><c>document.ready</c>, <c>document.failed</c>; empty: both.</summary>
    public IList<string> Events { get; } = [];

    /// <summary>Only this tenant's documents; empty: every tenant's.</summary>
    public string? Tenant { get; set; }

    /// <summary>Whether this webhook wants <paramref name="documentEvent"/>.</summary>
    public bool Wants(DocumentEvent documentEvent)
    {
        ArgumentNullException.ThrowIfNull(documentEvent);
        return (Events.Count == 0 || Events.Contains(documentEvent.Type))
            && (string.IsNullOrEmpty(Tenant) || string.Equals(Tenant, documentEvent.Tenant, StringComparison.Ordinal));
    }
}
