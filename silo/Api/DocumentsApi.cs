using System.Text;
using Microsoft.Extensions.Options;
using OrleansRag.Client;
using OrleansRag.Ingestion;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>/v1/collections/{collection}/documents: upsert, get, delete, list.</summary>
public static class DocumentsApi
{
    public static RouteGroupBuilder MapDocumentsApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var documents = v1.MapGroup("/collections/{collection}/documents").WithTags("Documents");
        documents.MapPut("/{id}", PutAsync).WithName("PutDocument").RequireAuthorization(SecurityExtensions.Writer).Audited("document.upsert");
        documents.MapGet("/{id}", GetAsync).WithName("GetDocument");
        documents.MapDelete("/{id}", DeleteAsync).WithName("DeleteDocument").RequireAuthorization(SecurityExtensions.Writer).Audited("document.delete");
        documents.MapGet("/", ListAsync).WithName("ListDocuments");
        return v1;
    }

    private static async Task<IResult> PutAsync(string collection, string id, HttpRequest request, IRagClient rag, IOptions<IngestionOptions> options)
    {
        if (CheckIds(collection, id) is { } invalid)
        {
            return invalid;
        }

        var limit = options.Value.MaxDocumentBytes;
        var (body, problem) = await JsonBody.ReadAsync<PutDocumentRequest>(request, (long)limit * 2 + 64 * 1024);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Text is { } text && Encoding.UTF8.GetByteCount(text) is var bytes && bytes > limit)
        {
            return Problems.TooLarge($"text is {bytes} bytes; the limit (Ingestion:MaxDocumentBytes) is {limit}.");
        }

        var document = new DocumentInput(body.Text ?? "", body.Title, body.ContentType, body.Metadata);
        if (RagValidation.CheckDocument(document) is { } documentProblem)
        {
            return Problems.BadRequest(documentProblem);
        }

        var result = await rag.IngestAsync(collection, id, document, request.HttpContext.RequestAborted);
        return result.Status == IngestStatus.Created
            ? Results.Created($"/v1/collections/{collection}/documents/{id}", result)
            : Results.Ok(result);
    }

    private static async Task<IResult> GetAsync(string collection, string id, IRagClient rag, CancellationToken cancellationToken)
    {
        if (CheckIds(collection, id) is { } invalid)
        {
            return invalid;
        }

        var document = await rag.GetAsync(collection, id, cancellationToken);
        return document is null
            ? Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.")
            : Results.Ok(document);
    }

    private static async Task<IResult> DeleteAsync(string collection, string id, IRagClient rag, CancellationToken cancellationToken)
    {
        if (CheckIds(collection, id) is { } invalid)
        {
            return invalid;
        }

        return await rag.DeleteAsync(collection, id, cancellationToken)
            ? Results.NoContent()
            : Problems.NotFound($"Document '{id}' does not exist in collection '{collection}'.");
    }

    private static async Task<IResult> ListAsync(string collection, IRagClient rag, CancellationToken cancellationToken)
    {
        if (RagValidation.CheckId(nameof(collection), collection) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var documents = await rag.ListAsync(collection, cancellationToken);
        return Results.Ok(new DocumentListResponse(collection, documents.Count, documents));
    }

    private static IResult? CheckIds(string collection, string id)
    {
        var problem = RagValidation.CheckId(nameof(collection), collection) ?? RagValidation.CheckId("document id", id);
        return problem is null ? null : Problems.BadRequest(problem);
    }
}
