using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Reads a JSON request body with explicit, named failures: wrong media type (415), over the size limit (413),
/// not UTF-8 (400), malformed JSON (400) or missing (400). Minimal APIs' own binding gives bare 400s.
/// </summary>
public static class JsonBody
{
    public const int SmallBodyLimit = 256 * 1024;

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, long limitBytes)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.UnsupportedMediaType($"Content-Type '{contentType}' is not supported; send application/json."));
        }

        if (request.ContentLength > limitBytes)
        {
            return (null, Problems.TooLarge($"The request body is {request.ContentLength} bytes; the limit is {limitBytes} (derived from Ingestion:MaxDocumentBytes for documents)."));
        }

        byte[] body;
        try
        {
            body = await ReadLimitedAsync(request.Body, limitBytes, request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException exception)
        {
            return (null, Problems.TooLarge(exception.Message));
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge($"The request body is larger than the limit of {limitBytes} bytes (derived from Ingestion:MaxDocumentBytes for documents)."));
        }

        if (body.Length == 0)
        {
            return (null, Problems.BadRequest("A JSON request body is required."));
        }

        if (!Utf8.IsValid(body))
        {
            return (null, Problems.BadRequest("The request body is not valid UTF-8."));
        }

        try
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            var value = JsonSerializer.Deserialize<T>(body, options);
            return value is null
                ? (null, Problems.BadRequest("A JSON object is required, not null."))
                : (value, null);
        }
        catch (JsonException exception)
        {
            var where = exception.Path is { Length: > 0 } path && !exception.Message.Contains(path, StringComparison.Ordinal) ? $" (at {path})" : "";
            return (null, Problems.BadRequest($"Malformed JSON: {exception.Message}{where}"));
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream body, long limitBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limitBytes)
            {
                throw new InvalidDataException($"The request body is larger than the limit of {limitBytes} bytes (derived from Ingestion:MaxDocumentBytes for documents).");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
