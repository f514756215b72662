using System.Text;
using OrleansRag.Ingestion.Pipeline;

namespace OrleansRag.Ingestion;

/// <summary>A version as sent: its bytes, and the upload that holds them (null for text sent in the call).</summary>
public sealed record class Submission(byte[] Bytes, string ContentType, string? Title, Dictionary<string, MetadataValue> Metadata, string? Text, string? UploadId);

/// <summary>
/// How a document's versions arrive, before the grain decides what to do with them: text sent in the call, or a file
/// assembled from uploaded pieces in the source store. The content rules of a submission (its shape, the document
/// size limit, whether the bytes are what they claim to be) are checked here, once, for every caller.
/// </summary>
public sealed class DocumentIntake(IngestionPipeline pipeline, IDocumentSourceStore sources, IngestionOptions options)
{
    /// <summary>Text sent in the call; a queued one is checked now, not in the background, so a wrong format is refused at once.</summary>
    public Submission Text(DocumentInput document)
    {
        RagValidation.ThrowIfInvalid(RagValidation.CheckDocument(document), nameof(document));
        var bytes = Encoding.UTF8.GetBytes(document.Text);
        CheckSize(bytes.Length);
        var contentType = ContentTypes.Normalize(document.ContentType);
        if (bytes.Length > options.SyncMaxBytes)
        {
            pipeline.Check(contentType, bytes);
        }

        return new Submission(bytes, contentType, document.Title, Submissions.Metadata(document.Metadata), document.Text, UploadId: null);
    }

    /// <summary>One piece of an upload, appended at its offset (a retried piece is not appended twice).</summary>
    public async Task AppendAsync(string sourceKey, string uploadId, long offset, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckUploadId(uploadId);
        try
        {
            CheckSize(offset < 0 ? long.MaxValue : offset + data.LongLength);
        }
        catch (DocumentRejectedException)
        {
            await sources.DeleteAsync(sourceKey, cancellationToken); // the pieces before this one are of no use now
            throw;
        }

        await sources.AppendAsync(sourceKey, offset, data, cancellationToken);
    }

    /// <summary>The whole upload, read once and checked; a refused upload's pieces are deleted.</summary>
    public async Task<Submission> UploadAsync(string sourceKey, string uploadId, DocumentUpload upload, long length, CancellationToken cancellationToken)
    {
        CheckUploadId(uploadId);
        byte[]? bytes = null;
        try
        {
            RagValidation.ThrowIfInvalid(RagValidation.CheckUpload(upload), nameof(upload));
            CheckSize(length);
            bytes = await sources.ReadAsync(sourceKey, cancellationToken) ?? (length == 0 ? [] : null);
            if (bytes is null || bytes.LongLength != length)
            {
                throw new DocumentRejectedException($"Upload {uploadId} holds {bytes?.LongLength ?? 0} bytes, not the {length} announced; send the file again.");
            }

            if (bytes.Length == 0)
            {
                throw new DocumentRejectedException("The document is empty.");
            }

            pipeline.Check(ContentTypes.Normalize(upload.ContentType), bytes);
        }
        catch (Exception exception) when (exception is DocumentRejectedException or RagValidationException)
        {
            await sources.DeleteAsync(sourceKey, cancellationToken); // a refused upload leaves nothing behind
            throw;
        }

        return new Submission(bytes, ContentTypes.Normalize(upload.ContentType), upload.Title, Submissions.Metadata(upload.Metadata), Text: null, uploadId);
    }

    /// <summary>
    /// The bytes of an upload that must be <paramref name="length"/> long and, read as <paramref name="contentType"/>, what
    /// it claims (an imported original); the upload is gone afterwards either way.
    /// </summary>
    public async Task<byte[]> TakeUploadAsync(string sourceKey, string uploadId, long length, string contentType, CancellationToken cancellationToken)
    {
        CheckUploadId(uploadId);
        try
        {
            var bytes = await sources.ReadAsync(sourceKey, cancellationToken) ?? [];
            if (bytes.LongLength != length || length == 0)
            {
                throw new DocumentRejectedException($"Upload {uploadId} holds {bytes.LongLength} bytes, not the {length} announced; send it again.");
            }

            pipeline.Check(ContentTypes.Normalize(contentType), bytes);
            return bytes;
        }
        finally
        {
            await sources.DeleteAsync(sourceKey, cancellationToken);
        }
    }

    /// <summary>The largest document the silo takes (Ingestion:MaxDocumentBytes).</summary>
    public void CheckSize(long bytes) => CheckSize(bytes, options.MaxDocumentBytes);

    /// <summary>The size rule itself, one implementation: the grain applies it to what arrives, the HTTP edge to a body's announced length.</summary>
    public static void CheckSize(long bytes, long limit)
    {
        if (bytes > limit)
        {
            throw new DocumentRejectedException(
                $"The document is {(bytes == long.MaxValue ? "too large" : $"{bytes} bytes or more")}; the limit (Ingestion:MaxDocumentBytes) is {limit}.",
                RejectionReason.TooLarge);
        }
    }

    private static void CheckUploadId(string uploadId)
    {
        if (string.IsNullOrEmpty(uploadId) || uploadId.Length > 64 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new RagValidationException("uploadId must be 1 to 64 letters, digits or '-'.", nameof(uploadId));
        }
    }
}
