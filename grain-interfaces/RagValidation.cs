using System.Buffers;

namespace OrleansRag;

/// <summary>
/// Input rules enforced at every edge (HTTP, client SDK, grains). Each method returns null when the value
/// is acceptable, or a sentence that names the problem.
/// </summary>
public static class RagValidation
{
    private static readonly SearchValues<char> IdChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~:@");

    /// <summary>Collection names and document ids: 1..256 of [A-Za-z0-9._-~:@], not starting with '.'.</summary>
    public static string? CheckId(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is required.";
        }

        if (value.Length > RagConstants.MaxIdLength)
        {
            return $"{field} is {value.Length} characters long; the limit is {RagConstants.MaxIdLength}.";
        }

        if (value.AsSpan().ContainsAnyExcept(IdChars) || value[0] == '.')
        {
            return $"{field} '{Truncate(value)}' may contain only letters, digits and . _ - ~ : @ (no path characters, no spaces) and must not start with '.'.";
        }

        return null;
    }

    /// <summary>
    /// Document ids are what users name their documents (often file names): 1..256 characters, spaces, '#', '%',
    /// '?' and any Unicode included, but no '/' or '\\' (they would read as paths), no control characters, no lone
    /// UTF-16 surrogates, no leading or trailing white space, not "." or "..", and no "%2F" (which a URL path may have
    /// meant as '/'). Clients escape them in URLs.
    /// </summary>
    public static string? CheckDocumentId(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is required.";
        }

        if (value.Length > RagConstants.MaxIdLength)
        {
            return $"{field} is {value.Length} characters long; the limit is {RagConstants.MaxIdLength}.";
        }

        if (value.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            // Web servers keep an escaped slash in a path escaped, so "%2F" here may have been meant as '/': refused, not guessed.
            return $"{field} '{Truncate(value)}' must not contain '/' (nor \"%2F\").";
        }

        if (value is "." or ".." || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return $"{field} '{Truncate(value)}' must not be \".\" or \"..\" nor begin or end with white space.";
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var loneSurrogate = char.IsHighSurrogate(c) ? i + 1 >= value.Length || !char.IsLowSurrogate(value[++i]) : char.IsLowSurrogate(c);
            if (c is '/' or '\\' || char.IsControl(c) || loneSurrogate)
            {
                return $"{field} '{Truncate(value.Replace("\0", "\\0", StringComparison.Ordinal))}' must not contain '/', '\\', control characters or a lone surrogate (at character {i}).";
            }
        }

        return null;
    }

    public static string? CheckTopK(int topK) =>
        topK is < RagConstants.MinTopK or > RagConstants.MaxTopK
            ? $"topK must be between {RagConstants.MinTopK} and {RagConstants.MaxTopK}; it was {topK}."
            : null;

    public static string? CheckQuery(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return $"{field} must not be empty.";
        }

        return text.Length > RagConstants.MaxQueryLength
            ? $"{field} is {text.Length} characters long; the limit is {RagConstants.MaxQueryLength}."
            : null;
    }

    /// <summary>A search or question against a collection: valid collection, non-empty text, topK in range.</summary>
    public static string? CheckQueryRequest(string collection, string field, string? text, SearchOptions options) =>
        CheckId(nameof(collection), collection) ?? CheckQuery(field, text) ?? CheckSearchOptions(options);

    /// <summary>Earlier turns sent with a follow-up: at most <see cref="RagConstants.MaxHistoryTurns"/>, each question and answer within its limit.</summary>
    public static string? CheckHistory(IReadOnlyList<ChatTurn>? history)
    {
        if (history is null)
        {
            return "history is required (empty for none).";
        }

        if (history.Count > RagConstants.MaxHistoryTurns)
        {
            return $"history has {history.Count} turns; the limit is {RagConstants.MaxHistoryTurns} (send the most recent).";
        }

        for (var i = 0; i < history.Count; i++)
        {
            if (history[i] is not { } turn || string.IsNullOrWhiteSpace(turn.Question))
            {
                return $"history turn {i + 1} has no question.";
            }

            if (turn.Question.Length > RagConstants.MaxQueryLength || (turn.StandaloneQuestion?.Length ?? 0) > RagConstants.MaxQueryLength)
            {
                return $"history turn {i + 1}: the question is longer than {RagConstants.MaxQueryLength} characters.";
            }

            if (turn.Answer is null)
            {
                return $"history turn {i + 1} has no answer (send \"\" for none).";
            }

            if (turn.Answer.Length > RagConstants.MaxHistoryAnswerLength)
            {
                return $"history turn {i + 1}: the answer is longer than {RagConstants.MaxHistoryAnswerLength} characters.";
            }
        }

        return null;
    }

    public static string? CheckSearchOptions(SearchOptions? options)
    {
        if (options is null)
        {
            return "search options are required.";
        }

        if (!Enum.IsDefined(options.Mode))
        {
            return $"mode must be one of {string.Join(", ", Enum.GetNames<SearchMode>().Select(n => n.ToLowerInvariant()))}; it was {(int)options.Mode}.";
        }

        if (!Enum.IsDefined(options.Fusion))
        {
            return $"fusion must be score or rrf; it was {(int)options.Fusion}.";
        }

        return CheckTopK(options.TopK)
            ?? (options.RrfK is < 1 or > 10_000 ? $"rrfK must be between 1 and 10000; it was {options.RrfK}." : null)
            ?? (options.DenseWeight is null or (>= 0 and <= 1) ? null : $"denseWeight must be between 0 and 1; it was {options.DenseWeight.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
    }

    public static string? CheckCollectionSettings(CollectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ShardCount is < 1 or > 1024)
        {
            return $"shardCount must be between 1 and 1024; it was {settings.ShardCount}.";
        }

        if (settings.ChunkTokens is < 0 or > 8192 or (> 0 and < 16))
        {
            return $"chunkTokens must be 0 (whole documents) or between 16 and 8192; it was {settings.ChunkTokens}.";
        }

        if (settings.ChunkOverlapTokens is < 0 or > 4096)
        {
            return $"chunkOverlapTokens must be between 0 and 4096; it was {settings.ChunkOverlapTokens}.";
        }

        return settings.EmbeddingModel is { } model && (model.Length is 0 or > 128 || model.Any(char.IsControl))
            ? "embeddingModel must be a model's name (1 to 128 characters)."
            : null;
    }

    public static string? CheckDocument(DocumentInput? document)
    {
        if (document is null)
        {
            return "A document body is required.";
        }

        if (string.IsNullOrWhiteSpace(document.Text))
        {
            return "text must not be empty or whitespace.";
        }

        if (ContentTypes.Find(ContentTypes.Normalize(document.ContentType)) is not { IsText: true })
        {
            var text = string.Join(", ", ContentTypes.All.Where(t => t.IsText).Select(t => t.MediaType));
            return $"contentType '{Truncate(document.ContentType ?? "")}' is not supported for JSON text; use one of: {text} (send binary formats such as PDF or DOCX as the request body with their own Content-Type).";
        }

        return CheckTitleAndMetadata(document.Title, document.Metadata);
    }

    /// <summary>A file upload's description: a content type we read, a title and metadata within limits.</summary>
    public static string? CheckUpload(DocumentUpload? upload)
    {
        if (upload is null)
        {
            return "A document upload is required.";
        }

        if (ContentTypes.Find(upload.ContentType) is null)
        {
            return $"Content-Type '{Truncate(upload.ContentType ?? "")}' is not a format OrleansRag reads; send one of: {ContentTypes.Describe()}.";
        }

        return CheckTitleAndMetadata(upload.Title, upload.Metadata);
    }

    /// <summary>Answer ids, as answers carry them: 32 lower-case hexadecimal digits (a version 7 UUID without dashes).</summary>
    public static string? CheckAnswerId(string? value) =>
        value is { Length: 32 } && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')
            ? null
            : $"answerId '{Truncate(value ?? "")}' is not an answer id (32 lower-case hexadecimal digits, as an answer's answerId).";

    /// <summary>A rating's comment: at most <see cref="RagConstants.MaxFeedbackCommentLength"/> characters, no control characters but line breaks and tabs.</summary>
    public static string? CheckFeedbackComment(string? comment) =>
        comment is null ? null
        : comment.Length > RagConstants.MaxFeedbackCommentLength ? $"comment is {comment.Length} characters long; the limit is {RagConstants.MaxFeedbackCommentLength}."
        : comment.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t') ? "comment must not contain control characters."
        : null;

    /// <summary>A query-log read: a limit of 1..<see cref="QueryLogQuery.MaxLimit"/> and a cursor as pages give it.</summary>
    public static string? CheckQueryLogQuery(QueryLogQuery? query) =>
        query is null ? "A query-log query is required."
        : query.Limit is < 1 or > QueryLogQuery.MaxLimit ? $"limit must be between 1 and {QueryLogQuery.MaxLimit}; it was {query.Limit}."
        : query.Before is not null && CheckAnswerId(query.Before) is not null ? $"before '{Truncate(query.Before)}' is not a cursor (use a page's next)."
        : null;

    /// <summary>
    /// Source ids: as <see cref="CheckId"/>, without ':' (a source's documents are named "{source}:{path}", so a ':'
    /// would let two sources name the same document).
    /// </summary>
    public static string? CheckSourceId(string field, string? value) =>
        CheckId(field, value) ?? (value!.Contains(':', StringComparison.Ordinal) ? $"{field} '{Truncate(value)}' must not contain ':'." : null);

    /// <summary>
    /// A source's settings and secrets as a request must shape them: the fields its kind needs, and no secret of another
    /// kind. What the silo allows (folder roots, addresses) is the source grain's to check.
    /// </summary>
    public static string? CheckSource(SourceSettings? settings, SourceSecrets? secrets)
    {
        if (settings is null)
        {
            return "A source body is required.";
        }

        secrets ??= SourceSecrets.None;
        var required = settings.Kind switch
        {
            SourceKind.Folder => Missing(("path", settings.Path)),
            SourceKind.AzureBlob => Missing(("container", settings.Container), ("connectionString", secrets.ConnectionString)),
            SourceKind.S3 => Missing(("bucket", settings.Bucket)),
            SourceKind.Web => string.IsNullOrWhiteSpace(settings.Url) && string.IsNullOrWhiteSpace(settings.Sitemap) ? "url or sitemap" : null,
            _ => "a kind of folder, azureblob, s3 or web",
        };
        if (required is not null)
        {
            return $"A source of kind {settings.Kind.ToString().ToLowerInvariant()} needs {required}.";
        }

        if (settings.Kind == SourceKind.S3 && string.IsNullOrEmpty(settings.AccessKey) != string.IsNullOrEmpty(secrets.SecretKey))
        {
            return "accessKey and secretKey go together (or neither, for the silo's default AWS credentials).";
        }

        if ((secrets.ConnectionString is not null && settings.Kind != SourceKind.AzureBlob) || (secrets.SecretKey is not null && settings.Kind != SourceKind.S3))
        {
            return "connectionString belongs to azureblob sources and secretKey to s3 sources.";
        }

        foreach (var (field, url) in new[] { ("url", settings.Url), ("sitemap", settings.Sitemap), ("serviceUrl", settings.ServiceUrl) })
        {
            if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
            {
                return $"{field} must be an absolute http or https URL; it was '{Truncate(url)}'.";
            }
        }

        if (settings.MaxPages is < 1 or > 1_000_000)
        {
            return "maxPages must be between 1 and 1000000.";
        }

        if (settings.IntervalMinutes is < 1 or > 7 * 24 * 60)
        {
            return "intervalMinutes must be between 1 and 10080 (a week).";
        }

        var texts = new[] { settings.Path, settings.Container, settings.Bucket, settings.Prefix, settings.ServiceUrl, settings.Region, settings.AccessKey, settings.Url, settings.Sitemap, secrets.ConnectionString, secrets.SecretKey };
        return texts.Any(t => t is { Length: > 2_048 } || t?.Any(char.IsControl) == true)
            ? "source settings must be at most 2048 characters each, without control characters."
            : null;

        static string? Missing(params (string Field, string? Value)[] fields) =>
            fields.Where(f => string.IsNullOrWhiteSpace(f.Value)).Select(f => f.Field).ToList() is { Count: > 0 } missing ? string.Join(" and ", missing) : null;
    }

    private static string? CheckTitleAndMetadata(string? title, IReadOnlyDictionary<string, MetadataValue>? metadata)
    {
        if (title is { Length: > 1_000 })
        {
            return "title is longer than 1000 characters.";
        }

        if (metadata is { Count: > 64 })
        {
            return "metadata has more than 64 entries.";
        }

        foreach (var (key, value) in metadata ?? new Dictionary<string, MetadataValue>())
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 128)
            {
                return "metadata keys must be 1 to 128 characters.";
            }

            if (value is null || value.Text is { Length: > 4096 } || value.List is { Length: > 256 } || value.List?.Any(item => item is null || item.Length > 1024) == true)
            {
                return $"metadata.{key} is missing, longer than 4096 characters, or a list of more than 256 items (1024 characters each).";
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="RagValidationException"/> when <paramref name="problem"/> is not null.</summary>
    public static void ThrowIfInvalid(string? problem, string paramName)
    {
        if (problem is not null)
        {
            throw new RagValidationException(problem, paramName);
        }
    }

    /// <summary>A value quoted in a message: at most 64 characters.</summary>
    public static string Truncate(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length <= 64 ? value : value[..64] + "…";
    }
}
