using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansRag.Monitoring;

namespace OrleansRag.Ingestion;

/// <summary>
/// What a webhook receives when a document version becomes ready or fails (<c>Ingestion:Webhooks</c>): the event, the
/// document and, for a failure, the reason. <see cref="Link"/> is the original's path when originals are kept.
/// </summary>
public sealed record class DocumentEvent(
    string Type,
    string Id,
    DateTimeOffset Time,
    string Tenant,
    string Collection,
    string DocumentId,
    string Version,
    string Status,
    string? Title,
    string ContentType,
    int ChunkCount,
    int? PageCount,
    string ContentHash,
    int Attempts,
    string? Error,
    string? Link)
{
    public const string Ready = "document.ready";
    public const string Failed = "document.failed";
}

/// <summary>
/// Tells other systems when a document becomes ready or fails: each event is posted as JSON to every configured webhook
/// that wants it, signed with the webhook's secret (HMAC-SHA256 over <c>{timestamp}.{body}</c>, the Stripe scheme, in
/// <see cref="SignatureHeader"/> as <c>t={unix seconds},v1={hex}</c>), through the <see cref="NotificationSender"/>
/// (background, retried with backoff). Delivery is at least once while the silo lives, and not kept across a silo's
/// loss: a receiver that must not miss a document reconciles with the document listing.
/// </summary>
public sealed class IngestionEvents(IOptions<IngestionOptions> options, NotificationSender sender, TimeProvider time)
{
    public const string SignatureHeader = "X-OrleansRag-Signature";
    public const string EventHeader = "X-OrleansRag-Event";
    public const string DeliveryHeader = "X-OrleansRag-Delivery";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The served version of <paramref name="documentKey"/> just became ready.</summary>
    public void Ready(string documentKey, DocumentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (options.Value.Webhooks.Count > 0)
        {
            Publish(Event(DocumentEvent.Ready, documentKey, state.Version ?? "", "ready", state.Title, state.ContentType, state.ChunkCount, state.PageCount,
                state.ContentHash, state.Attempts, null));
        }
    }

    /// <summary>The background job <paramref name="job"/> of <paramref name="documentKey"/> failed for good.</summary>
    public void Failed(string documentKey, IngestJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (options.Value.Webhooks.Count > 0)
        {
            Publish(Event(DocumentEvent.Failed, documentKey, job.Id, "failed", job.Title, job.ContentType, 0, null, job.ContentHash, job.Attempts, job.Error));
        }
    }

    /// <summary>The signature header's value for <paramref name="body"/> sent at <paramref name="timestamp"/> (Unix seconds).</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return $"t={timestamp.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed))}";
    }

    private DocumentEvent Event(string type, string documentKey, string version, string status, string? title, string contentType, int chunkCount,
        int? pageCount, string contentHash, int attempts, string? error)
    {
        var (collectionKey, documentId) = GrainKeys.SplitLast(documentKey);
        var (tenant, collection) = GrainKeys.SplitLast(collectionKey);
        return new DocumentEvent(type, Guid.NewGuid().ToString("N"), time.GetUtcNow(), tenant, collection, documentId, version, status, title, contentType,
            chunkCount, pageCount, contentHash, attempts, error,
            options.Value.KeepSources && type == DocumentEvent.Ready ? Citation.ContentLink(collection, documentId, null) : null);
    }

    private void Publish(DocumentEvent documentEvent)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(documentEvent, Json);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var webhook in options.Value.Webhooks.Where(w => w.Wants(documentEvent)))
        {
            sender.Post(documentEvent.Type, webhook.Url, body,
            [
                new(EventHeader, documentEvent.Type),
                new(DeliveryHeader, documentEvent.Id),
                new(SignatureHeader, Sign(webhook.Secret, timestamp, body)),
            ]);
        }
    }
}
