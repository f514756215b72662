using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Reads a JSON request body with explicit, named failures: wrong media type (415), over the size limit (413),
/// not UTF-8 (400), malformed JSON (400) or missing (400). Minimal APIs' own binding gives bare 400s.
/// </summary>
public static partial class JsonBody
{
    public const int SmallBodyLimit = 256 * 1024;

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, long limitBytes)
        where T : class
    {
        var (value, problem, detail) = await ReadBodyAsync<T>(request, limitBytes);
        return (value, problem?.Result(detail!));
    }

    /// <summary>The body as <typeparamref name="T"/>, or the kind of problem and its detail (for endpoints with their own error shape).</summary>
    public static async Task<(T? Value, ProblemType? Problem, string? Detail)> ReadBodyAsync<T>(HttpRequest request, long limitBytes)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.UnsupportedMediaTypeType, $"Content-Type '{contentType}' is not supported; send application/json.");
        }

        if (request.ContentLength > limitBytes)
        {
            return (null, Problems.TooLargeType, $"The request body is {request.ContentLength} bytes; the limit is {limitBytes} (derived from Ingestion:MaxDocumentBytes for documents).");
        }

        byte[] body;
        try
        {
            body = await ReadLimitedAsync(request.Body, limitBytes, request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException exception)
        {
            return (null, Problems.TooLargeType, exception.Message);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLargeType, $"The request body is larger than the limit of {limitBytes} bytes (derived from Ingestion:MaxDocumentBytes for documents).");
        }

        if (body.Length == 0)
        {
            return (null, Problems.InvalidRequest, "A JSON request body is required.");
        }

        if (!Utf8.IsValid(body))
        {
            return (null, Problems.InvalidRequest, "The request body is not valid UTF-8.");
        }

        if (LoneSurrogate(body) is { } where)
        {
            return (null, Problems.InvalidRequest, $"The JSON text has a lone surrogate escape (like \"\\ud800\") {where}; a UTF-16 surrogate must come in a pair.");
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = JsonSerializer.Deserialize<T>(body, options);
            return value is null
                ? (null, Problems.InvalidRequest, "A JSON object is required, not null.")
                : (value, null, null);
        }
        catch (JsonException exception)
        {
            return (null, Problems.InvalidRequest, Describe(exception, options.GetTypeInfo(typeof(T))));
        }
    }

    /// <summary>
    /// What was wrong with a body that did not bind, in the API's own words: the field, and what it accepts (the
    /// allowed values of an enum, a number, true or false); never a .NET type name.
    /// </summary>
    public static string Describe(JsonException exception, JsonTypeInfo body)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(body);
        var path = exception.Path is { Length: > 1 } p ? p : null;
        var field = path is null ? null : FieldName().Match(path) is { Success: true } m ? m.Groups[1].Value : null;
        var property = field is null ? null : body.Properties.FirstOrDefault(x => string.Equals(x.Name, field, StringComparison.OrdinalIgnoreCase));
        if (property is not null && IsTypeMismatch(exception))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var expected = type switch
            {
                _ when type.IsEnum => $"one of {string.Join(", ", AllowedValues(type, body.Options).Select(v => $"\"{v}\""))}",
                _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
                _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
                _ when type == typeof(bool) => "true or false",
                _ when type == typeof(string) => "a string",
                _ when typeof(System.Collections.IDictionary).IsAssignableFrom(type) => "an object",
                _ when type != typeof(JsonElement) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => "an array",
                _ => "a JSON value of another kind",
            };
            return $"'{field}' must be {expected}{(path == $"$.{field}" ? "" : $" (at {path})")}.";
        }

        if (IsTypeMismatch(exception))
        {
            return path is null ? "The request body must be a JSON object." : $"The value at {path} has the wrong type.";
        }

        // Malformed JSON: System.Text.Json's reader messages name positions and characters, not types.
        return $"Malformed JSON: {exception.Message}{(path is not null && !exception.Message.Contains(path, StringComparison.Ordinal) ? $" (at {path})" : "")}";
    }

    /// <summary>
    /// Where a string of the JSON text escapes half a UTF-16 surrogate pair ("\ud800" alone), which no .NET string
    /// code can use safely; null when there is none (or the JSON is malformed: the deserializer says so). Only escaped
    /// strings are looked at, in their raw bytes, so large bodies are not copied.
    /// </summary>
    public static string? LoneSurrogate(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        string? property = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                {
                    continue;
                }

                ReadOnlySpan<byte> raw = reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan;
                if (HasLoneSurrogate(raw))
                {
                    return reader.TokenType == JsonTokenType.PropertyName ? "in a property name"
                        : property is null ? "in a string" : $"in the value of '{RagValidation.Truncate(property)}'";
                }

                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    property = reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // malformed: reported by the deserializer with its position
        }

        return null;
    }

    /// <summary>Whether raw (still escaped) JSON string bytes hold a \uD800-\uDFFF escape without its partner.</summary>
    private static bool HasLoneSurrogate(ReadOnlySpan<byte> raw)
    {
        var pendingHigh = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\' || i + 1 >= raw.Length)
            {
                if (pendingHigh)
                {
                    return true;
                }

                continue;
            }

            if (raw[i + 1] != (byte)'u' || i + 5 >= raw.Length)
            {
                if (pendingHigh)
                {
                    return true;
                }

                i++; // another escape (\n, \\, \"): skip its second byte
                continue;
            }

            if (!System.Buffers.Text.Utf8Parser.TryParse(raw.Slice(i + 2, 4), out int unit, out _, 'X'))
            {
                return false; // not a \u escape the reader accepted; the deserializer reports it
            }

            i += 5;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (pendingHigh)
                {
                    return true;
                }

                pendingHigh = true;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!pendingHigh)
                {
                    return true;
                }

                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return true;
            }
        }

        return pendingHigh;
    }

    /// <summary>The names an enum accepts on the wire (as the API's converter writes them).</summary>
    public static IEnumerable<string> AllowedValues(Type enumType, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        ArgumentNullException.ThrowIfNull(options);
        return Enum.GetValues(enumType).Cast<object>().Select(value => JsonSerializer.Serialize(value, enumType, options).Trim('"'));
    }

    /// <summary>A value of the wrong kind (the reader itself was fine): the only JsonException whose message names a .NET type.</summary>
    private static bool IsTypeMismatch(JsonException exception) =>
        exception.Message.Contains("could not be converted", StringComparison.Ordinal) || exception.InnerException is InvalidOperationException or FormatException;

    [GeneratedRegex(@"^\$\.([^.\[]+)")]
    private static partial Regex FieldName();

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
