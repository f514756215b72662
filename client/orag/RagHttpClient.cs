using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansRag.Cli;

/// <summary>An error the service answered with (problem details), or a connection failure.</summary>
public sealed class RagApiException(string message, HttpStatusCode? status = null, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The OrleansRag HTTP API as the CLI uses it.</summary>
public sealed class RagHttpClient(Uri baseAddress, string? apiKey = null) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly HttpClient _http = Create(baseAddress, apiKey, TimeSpan.FromMinutes(5));

    /// <summary>For archives, which take as long as a collection is large: no overall timeout (Ctrl+C stops them).</summary>
    private readonly HttpClient _archives = Create(baseAddress, apiKey, Timeout.InfiniteTimeSpan);

    private static HttpClient Create(Uri baseAddress, string? apiKey, TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout };
        if (!string.IsNullOrWhiteSpace(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey.Trim());
        }

        return http;
    }

    public Uri BaseAddress => baseAddress;

    public Task<IngestResult> PutDocumentAsync(string collection, string id, DocumentInput document, CancellationToken cancellationToken) =>
        SendAsync<IngestResult>(HttpMethod.Put, $"v1/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(id)}",
            new { text = document.Text, title = document.Title, contentType = document.ContentType, metadata = document.Metadata }, cancellationToken);

    /// <summary>PUT of a file as it is: its bytes as the body, its media type as Content-Type, metadata in X-Document-Metadata.</summary>
    public async Task<IngestResult> PutFileAsync(string collection, string id, string file, string contentType,
        IReadOnlyDictionary<string, MetadataValue>? metadata, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, DocumentPath(collection, id)) { Content = content };
        if (metadata is { Count: > 0 })
        {
            request.Headers.TryAddWithoutValidation("X-Document-Metadata", AsciiJson(metadata));
        }

        return await SendAsync<IngestResult>(request, cancellationToken);
    }

    /// <summary>GET .../export into <paramref name="destination"/>; <paramref name="progress"/> hears the bytes received so far.</summary>
    public async Task<long> ExportAsync(string collection, bool sources, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(progress);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/collections/{Uri.EscapeDataString(collection)}/export{(sources ? "?sources=true" : "")}");
        using var response = await SendRawAsync(_archives, request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            progress(total += read);
        }

        return total;
    }

    /// <summary>POST of an archive file to .../import; <paramref name="progress"/> hears the bytes sent so far.</summary>
    public async Task<JsonElement> ImportAsync(string collection, string file, bool replace, Action<long> progress, CancellationToken cancellationToken)
    {
        await using var stream = new ProgressStream(File.OpenRead(file), progress);
        using var content = new StreamContent(stream, 81920);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/gzip");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1/collections/{Uri.EscapeDataString(collection)}/import{(replace ? "?replace=true" : "")}") { Content = content };
        using var response = await SendRawAsync(_archives, request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
    }

    /// <summary>A file read for an upload, telling how far it is.</summary>
    private sealed class ProgressStream(Stream inner, Action<long> progress) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            progress(inner.Position);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            progress(inner.Position);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    public Task<DocumentInfo> GetDocumentAsync(string collection, string id, CancellationToken cancellationToken) =>
        SendAsync<DocumentInfo>(HttpMethod.Get, DocumentPath(collection, id), null, cancellationToken);

    private static string DocumentPath(string collection, string id) =>
        $"v1/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(id)}";

    /// <summary>Metadata as JSON with every non-ASCII character escaped, so that it fits in a header.</summary>
    private static string AsciiJson(IReadOnlyDictionary<string, MetadataValue> metadata) => JsonSerializer.Serialize(metadata, AsciiJsonOptions);

    private static readonly JsonSerializerOptions AsciiJsonOptions = new(Json) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default };

    public Task<SearchResponse> SearchAsync(string collection, string query, SearchOptions options, CancellationToken cancellationToken, JsonElement? filter = null) =>
        SendAsync<SearchResponse>(HttpMethod.Post, $"v1/collections/{Uri.EscapeDataString(collection)}/search",
            new { query, topK = options.TopK, mode = options.Mode, perDocument = options.PerDocument, rrfK = options.RrfK, filter, rerank = options.Rerank }, cancellationToken);

    public Task<AskResponse> AskAsync(string collection, string question, int topK, SearchMode? mode, CancellationToken cancellationToken, JsonElement? filter = null, bool? rerank = null) =>
        SendAsync<AskResponse>(HttpMethod.Post, $"v1/collections/{Uri.EscapeDataString(collection)}/ask", new { question, topK, mode, filter, rerank }, cancellationToken);

    /// <summary>POST .../ask with "stream": true, read as Server-Sent Events (token, done, error) as they arrive.</summary>
    public IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, int topK, SearchMode? mode,
        JsonElement? filter, CancellationToken cancellationToken, bool? rerank = null) =>
        StreamAsync($"v1/collections/{Uri.EscapeDataString(collection)}/ask", new { question, topK, mode, filter, stream = true, rerank }, cancellationToken);

    public Task<ConversationInfo> CreateConversationAsync(string collection, CancellationToken cancellationToken) =>
        SendAsync<ConversationInfo>(HttpMethod.Post, ConversationsPath(collection), null, cancellationToken);

    public Task<Conversation> GetConversationAsync(string collection, string id, CancellationToken cancellationToken) =>
        SendAsync<Conversation>(HttpMethod.Get, $"{ConversationsPath(collection)}/{Uri.EscapeDataString(id)}", null, cancellationToken);

    /// <summary>The next turn of a conversation, streamed (token, done with the turn, error).</summary>
    public IAsyncEnumerable<AskStreamEvent> SendMessageStreamAsync(string collection, string id, string question, int topK, SearchMode? mode,
        JsonElement? filter, CancellationToken cancellationToken, bool? rerank = null) =>
        StreamAsync($"{ConversationsPath(collection)}/{Uri.EscapeDataString(id)}/messages", new { question, topK, mode, filter, stream = true, rerank }, cancellationToken);

    private static string ConversationsPath(string collection) => $"v1/collections/{Uri.EscapeDataString(collection)}/conversations";

    /// <summary>POSTs <paramref name="body"/> and reads the answer's Server-Sent Events (token, done, error) as they arrive.</summary>
    private async IAsyncEnumerable<AskStreamEvent> StreamAsync(string path, object body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = JsonContent.Create(body, options: Json),
        };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new RagApiException($"cannot reach OrleansRag at {baseAddress}: {exception.Message} (start it with 'dotnet run --project silo', or pass --url)", null, exception);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new RagApiException(await DescribeAsync(response, cancellationToken), response.StatusCode);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            var name = "message";
            var data = new System.Text.StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line[5..].TrimStart());
                }
                else if (line.Length == 0 && data.Length > 0)
                {
                    var json = JsonDocument.Parse(data.ToString()).RootElement;
                    data.Clear();
                    switch (name)
                    {
                        case "token":
                            yield return new AskStreamEvent(AskStreamEventKind.Token, json.GetProperty("text").GetString());
                            break;
                        case "done":
                            yield return new AskStreamEvent(AskStreamEventKind.Done, Response: json.Deserialize<AskResponse>(Json));
                            yield break;
                        default:
                            yield return new AskStreamEvent(AskStreamEventKind.Error, Error: json.TryGetProperty("message", out var m) ? m.GetString() : json.ToString());
                            yield break;
                    }
                }
            }

            yield return new AskStreamEvent(AskStreamEventKind.Error, Error: "the answer stream ended without a final event");
        }
    }

    public Task<CollectionInfo> CreateCollectionAsync(string collection, CollectionSettings settings, CancellationToken cancellationToken) =>
        SendAsync<CollectionInfo>(HttpMethod.Put, $"v1/collections/{Uri.EscapeDataString(collection)}",
            new { shardCount = settings.ShardCount, chunkTokens = settings.ChunkTokens, chunkOverlapTokens = settings.ChunkOverlapTokens }, cancellationToken);

    public Task<DocumentList> ListAsync(string collection, CancellationToken cancellationToken) =>
        SendAsync<DocumentList>(HttpMethod.Get, $"v1/collections/{Uri.EscapeDataString(collection)}/documents", null, cancellationToken);

    public async Task DeleteAsync(string collection, string id, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement?>(HttpMethod.Delete, $"v1/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(id)}", null, cancellationToken);

    public sealed record DocumentList(string Collection, int Count, IReadOnlyList<DocumentSummary> Documents);

    public Task<SourceInfo> AddSourceAsync(string collection, object body, CancellationToken cancellationToken) =>
        SendAsync<SourceInfo>(HttpMethod.Post, SourcesPath(collection), body, cancellationToken);

    public async Task<IReadOnlyList<SourceInfo>> ListSourcesAsync(string collection, CancellationToken cancellationToken) =>
        (await SendAsync<SourceList>(HttpMethod.Get, SourcesPath(collection), null, cancellationToken)).Sources;

    public Task<SourceInfo> GetSourceAsync(string collection, string id, CancellationToken cancellationToken) =>
        SendAsync<SourceInfo>(HttpMethod.Get, $"{SourcesPath(collection)}/{Uri.EscapeDataString(id)}", null, cancellationToken);

    public Task<SourceInfo> SyncSourceAsync(string collection, string id, CancellationToken cancellationToken) =>
        SendAsync<SourceInfo>(HttpMethod.Post, $"{SourcesPath(collection)}/{Uri.EscapeDataString(id)}/sync", null, cancellationToken);

    public async Task DeleteSourceAsync(string collection, string id, bool keepDocuments, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement?>(HttpMethod.Delete, $"{SourcesPath(collection)}/{Uri.EscapeDataString(id)}{(keepDocuments ? "?keepDocuments=true" : "")}", null, cancellationToken);

    public Task<QueryLogPage> GetQueryLogAsync(string collection, string? before, int limit, AnswerRating? rating, CancellationToken cancellationToken) =>
        SendAsync<QueryLogPage>(HttpMethod.Get, $"v1/collections/{Uri.EscapeDataString(collection)}/query-log?limit={limit}"
            + (before is null ? "" : $"&before={Uri.EscapeDataString(before)}") + (rating is null ? "" : $"&rating={(rating == AnswerRating.Up ? "up" : "down")}"), null, cancellationToken);

    public async Task RateAnswerAsync(string collection, string answerId, AnswerRating rating, string? comment, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement?>(HttpMethod.Post, $"v1/collections/{Uri.EscapeDataString(collection)}/answers/{Uri.EscapeDataString(answerId)}/feedback",
            new { rating = rating == AnswerRating.Up ? "up" : "down", comment }, cancellationToken);

    public Task<DocumentChunkPage> GetChunksAsync(string collection, string documentId, int offset, int limit, CancellationToken cancellationToken) =>
        SendAsync<DocumentChunkPage>(HttpMethod.Get, $"v1/collections/{Uri.EscapeDataString(collection)}/documents/{Uri.EscapeDataString(documentId)}/chunks?offset={offset}&limit={limit}", null, cancellationToken);

    private static string SourcesPath(string collection) => $"v1/collections/{Uri.EscapeDataString(collection)}/sources";

    public sealed record SourceList(string Collection, IReadOnlyList<SourceInfo> Sources);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        return await SendAsync<T>(request, cancellationToken);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var (method, path) = (request.Method, request.RequestUri);
        using (var response = await SendRawAsync(_http, request, HttpCompletionOption.ResponseContentRead, cancellationToken))
        {
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return default!;
            }

            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
                ?? throw new RagApiException($"{method} {path} returned an empty body.");
        }
    }

    /// <summary>Sends <paramref name="request"/>: a success comes back to be read; a failure as a <see cref="RagApiException"/> that says why.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpClient http, HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new RagApiException($"cannot reach OrleansRag at {baseAddress}: {exception.Message} (start it with 'dotnet run --project silo', or pass --url)", null, exception);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw new RagApiException(await DescribeAsync(response, cancellationToken), response.StatusCode);
            }
        }

        return response;
    }

    private static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
            if (problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var detail))
            {
                return $"{status}: {detail.GetString()}";
            }
        }
        catch (JsonException)
        {
        }

        return status;
    }

    public void Dispose()
    {
        _http.Dispose();
        _archives.Dispose();
    }
}
