using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using OrleansRag.Security;
using Polly;
using Polly.Retry;

namespace OrleansRag.Client;

/// <summary>
/// <see cref="IRagClient"/> over an <see cref="IGrainFactory"/> (an Orleans client or a co-hosted silo). With an
/// API key, every grain call carries the key and the cluster verifies it; the tenant is the key's, learned from
/// the cluster on first use, so a client can never name another tenant's collection.
/// </summary>
public sealed partial class RagClient : IRagClient
{
    /// <summary>Search default: dense ranking of chunks, top 5.</summary>
    public static readonly SearchOptions DefaultSearchOptions = new();

    /// <summary>Ask default: hybrid ranking (dense + BM25 fused), which measures better on SciFact.</summary>
    public static readonly SearchOptions DefaultAskOptions = new(Mode: SearchMode.Hybrid);

    /// <summary>
    /// Reads (get, list, search, ask) and text upserts (safe to repeat) are retried when the silo that held their
    /// grain is gone or going: Orleans answers those calls with <see cref="SiloUnavailableException"/> (also for calls
    /// in flight when the silo is declared dead) or a rejection, and the next attempt activates the grain on a living
    /// silo. Ten retries with exponential backoff from 250 ms, at most 1 s apart, with jitter: about 8 s in all, which
    /// spans the membership's detection time (Cluster:Membership, 1-4 s measured), and once the silo is declared dead the
    /// next attempt is at most a second away. Deletes and uploads are not retried here.
    /// </summary>
    private static readonly ResiliencePipeline FailoverRetry = Failover(retryTimeout: false);

    /// <summary>
    /// <see cref="FailoverRetry"/>, and once more when a call's response did not arrive within the client's response
    /// timeout (<see cref="TimeoutException"/>): an external client is never told that the gateway its call went through
    /// has gone (stopped in a rolling update, or killed) and the response with it, so it learns only by waiting
    /// (dotnet/orleans#10165). Once per call, so a call that is merely slow (a language model's answer) costs at most
    /// twice the timeout. Inside a silo (the HTTP edge) calls do not go through a gateway, and a timeout is not retried.
    /// </summary>
    private static readonly ResiliencePipeline ExternalFailoverRetry = Failover(retryTimeout: true);

    private static ResiliencePipeline Failover(bool retryTimeout) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception switch
            {
                SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException => true,
                TimeoutException => retryTimeout && FirstTimeout(arguments.Context),
                _ => false,
            }),
            MaxRetryAttempts = 10,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Exponential,
            MaxDelay = TimeSpan.FromSeconds(1),
            UseJitter = true,
        })
        .Build();

    private static readonly ResiliencePropertyKey<bool> TimedOut = new("orleansrag.timed-out");

    /// <summary>True the first time a call (one execution of the pipeline) times out.</summary>
    private static bool FirstTimeout(ResilienceContext context)
    {
        if (context.Properties.TryGetValue(TimedOut, out _))
        {
            return false;
        }

        context.Properties.Set(TimedOut, true);
        return true;
    }

    private readonly IGrainFactory _grains;
    private readonly ResiliencePipeline _retry;
    private readonly string? _apiKey;
    private readonly string? _knownTenant;
    private Task<string>? _keyTenant;

    /// <summary>
    /// The SDK's client, over an Orleans client (<c>AddRagClient</c>): the tenant of <see cref="RagClientOptions.ApiKey"/>,
    /// or <see cref="RagClientOptions.Tenant"/> without a key. A call that times out is retried once (<see cref="ExternalFailoverRetry"/>).
    /// </summary>
    public RagClient(IGrainFactory grains, IOptions<RagClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _retry = ExternalFailoverRetry;
        _apiKey = options.Value.ApiKey;
        _knownTenant = _apiKey is null ? options.Value.Tenant : null;
    }

    /// <summary>A client inside a silo for a tenant already established (the HTTP edge, which forwards the caller's key).</summary>
    public RagClient(IGrainFactory grains, string tenant, string? apiKey)
    {
        _grains = grains;
        _retry = FailoverRetry;
        _knownTenant = tenant;
        _apiKey = apiKey;
    }

    public async Task<IngestResult> IngestAsync(string collection, string documentId, DocumentInput document, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        ArgumentNullException.ThrowIfNull(document);
        if (document.Text is { Length: > UploadPieceBytes / 4 } text && ContentTypes.Find(ContentTypes.Normalize(document.ContentType)) is { IsText: true } type
            && System.Text.Encoding.UTF8.GetByteCount(text) > UploadPieceBytes)
        {
            // Large text goes in pieces, as a file does: no grain call carries a large message, and the document's size
            // limit refuses it at the piece that passes it (large text is ingested in the background either way).
            await using var pieces = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text), writable: false);
            return await IngestFileAsync(collection, documentId, pieces, type.MediaType, document.Title, document.Metadata, cancellationToken);
        }

        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        // An upsert is safe to repeat (the same content is "unchanged", or completes a half-done commit), so it
        // rides out a failover like a read.
        return await _retry.ExecuteAsync(async token => await Document(tenant, collection, documentId).UpsertAsync(document, token).WaitAsync(token), cancellationToken);
    }

    /// <summary>Bytes per upload call: small enough that no grain call carries a large message.</summary>
    public const int UploadPieceBytes = 1024 * 1024;

    public async Task<IngestResult> IngestFileAsync(string collection, string documentId, Stream content, string contentType, string? title = null,
        IReadOnlyDictionary<string, MetadataValue>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        CheckIds(collection, documentId);
        var upload = new DocumentUpload(ContentTypes.Normalize(contentType), title, metadata);
        var tenant = await EnterAsync(cancellationToken);
        var document = Document(tenant, collection, documentId);
        var uploadId = Guid.NewGuid().ToString("N");
        var length = await UploadAsync(document, uploadId, content, cancellationToken);
        Authenticate();
        return await document.SubmitUploadAsync(uploadId, upload, length, cancellationToken);
    }

    public Task<DocumentInfo?> WaitForDocumentAsync(string collection, string documentId, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        PollAsync(token => GetAsync(collection, documentId, token), document => document is null or { Status: DocumentStatus.Ready or DocumentStatus.Failed },
            document => $"Document '{documentId}' is still {document?.Status.ToString().ToLowerInvariant()} after {timeout}.", timeout, cancellationToken);

    /// <summary>Reads until <paramref name="done"/> holds, backing off from 100 ms to 2 s; a <see cref="TimeoutException"/> saying <paramref name="late"/> after <paramref name="timeout"/>.</summary>
    private static async Task<T> PollAsync<T>(Func<CancellationToken, Task<T>> read, Func<T, bool> done, Func<T, string> late, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var value = await read(cancellationToken);
            if (done(value))
            {
                return value;
            }

            try
            {
                await Task.Delay(delay, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(late(value));
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(2000, delay.TotalMilliseconds * 1.5));
        }
    }

    public async Task<IReadOnlyList<DocumentSummary>> ListAsync(string collection, DocumentStatus status, CancellationToken cancellationToken = default) =>
        [.. (await ListAsync(collection, cancellationToken)).Where(d => d.Status == status)];

    public async Task<DocumentInfo?> GetAsync(string collection, string documentId, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Document(tenant, collection, documentId).GetAsync().WaitAsync(token), cancellationToken);
    }

    public async Task<bool> DeleteAsync(string collection, string documentId, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Document(tenant, collection, documentId).DeleteAsync(cancellationToken).WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<DocumentSummary>> ListAsync(string collection, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var registry = Registry(tenant, collection);
        return await _retry.ExecuteAsync(async token =>
        {
            var info = await registry.GetInfoAsync(token);
            return info.Exists
                ? await registry.ListDocumentsAsync().WaitAsync(token)
                : throw RagNotFoundException.Collection(collection);
        }, cancellationToken);
    }

    public async Task<SearchResponse> SearchAsync(string collection, string query, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultSearchOptions;
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Query(tenant, collection).SearchAsync(query, options, token), cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public async Task<AskResponse> AskAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Query(tenant, collection).AskAsync(question, options, cancellationToken: token), cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default) =>
        AskStreamAsync(collection, question, [], options, cancellationToken);

    public async Task<AskResponse> AskAsync(string collection, string question, IReadOnlyList<ChatTurn> history, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Query(tenant, collection).AskAsync(question, options, history, token), cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, IReadOnlyList<ChatTurn> history, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        history ??= [];
        options ??= DefaultAskOptions;
        CheckCollection(collection);
        return StreamAsync(collection, question, options, history, cancellationToken);
    }

    public async Task<ConversationInfo> CreateConversationAsync(string collection, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Conversation(tenant, collection, Guid.NewGuid().ToString("N")).CreateAsync(cancellationToken)
            ?? throw RagNotFoundException.Collection(collection);
    }

    public async Task<AskResponse> SendMessageAsync(string collection, string conversationId, string question, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        CheckConversationIds(collection, conversationId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        // Not retried: a turn that reached the conversation before a failure would be added twice.
        return await Conversation(tenant, collection, conversationId).SendAsync(question, options, cancellationToken)
            ?? throw RagNotFoundException.Conversation(collection, conversationId);
    }

    public IAsyncEnumerable<AskStreamEvent> SendMessageStreamAsync(string collection, string conversationId, string question, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DefaultAskOptions;
        CheckConversationIds(collection, conversationId);
        return SendStreamAsync(collection, conversationId, question, options, cancellationToken);
    }

    public async Task<Conversation?> GetConversationAsync(string collection, string conversationId, CancellationToken cancellationToken = default)
    {
        CheckConversationIds(collection, conversationId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await Conversation(tenant, collection, conversationId).GetAsync(token), cancellationToken);
    }

    public async Task<IReadOnlyList<ConversationInfo>> ListConversationsAsync(string collection, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token =>
            await _grains.GetGrain<IConversationIndexGrain>(GrainKeys.Document(tenant, collection, KeyId)).ListAsync(token), cancellationToken);
    }

    public async Task<bool> DeleteConversationAsync(string collection, string conversationId, CancellationToken cancellationToken = default)
    {
        CheckConversationIds(collection, conversationId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Conversation(tenant, collection, conversationId).DeleteAsync(cancellationToken);
    }

    public async Task<DocumentChunkPage?> GetChunksAsync(string collection, string documentId, int offset = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var document = Document(tenant, collection, documentId);
        var page = await _retry.ExecuteAsync(async token => await document.GetChunksAsync(offset, limit).WaitAsync(token), cancellationToken);
        return page is null ? null : new DocumentChunkPage(collection, documentId, page.Total, offset, [.. page.Chunks.Select(DocumentChunk.Of)]);
    }

    public async Task<DocumentContentStream?> OpenContentAsync(string collection, string documentId, CancellationToken cancellationToken = default)
    {
        CheckIds(collection, documentId);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var document = Document(tenant, collection, documentId);
        var original = await _retry.ExecuteAsync(async token => await document.GetOriginalAsync().WaitAsync(token), cancellationToken);
        if (original is null)
        {
            return null;
        }

        if (!original.Kept)
        {
            throw new RagNotFoundException($"The original file of document '{documentId}' in collection '{collection}' was not kept " +
                "(it was ingested while Ingestion:KeepSources was off, or before originals were kept); send it again to keep it.");
        }

        return new DocumentContentStream(documentId, original.Version, original.ContentType, original.Length, async (offset, count, token) =>
        {
            Authenticate();
            return await _retry.ExecuteAsync(async t => await document.ReadOriginalAsync(original.Version, offset, count, t), token);
        });
    }

    public async Task<CollectionInfo> CreateCollectionAsync(string collection, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        ArgumentNullException.ThrowIfNull(settings);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await Registry(tenant, collection).CreateAsync(settings).WaitAsync(cancellationToken);
    }

    public async Task<CollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        CheckCollection(collection);
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var info = await _retry.ExecuteAsync(async token => await Registry(tenant, collection).GetInfoAsync(token), cancellationToken);
        return info.Exists ? info : null;
    }

    public async Task<IReadOnlyList<CollectionSize>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        return await _retry.ExecuteAsync(async token => await _grains.GetGrain<ITenantGrain>(tenant).ListCollectionsAsync(token), cancellationToken);
    }

    /// <summary>Who the cluster says this client is (its key's id, tenant and role; the local admin without keys).</summary>
    public async Task<RagPrincipal> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        Authenticate();
        return await _grains.GetGrain<IAccessGrain>(0).WhoAmIAsync().WaitAsync(cancellationToken);
    }

    private async IAsyncEnumerable<AskStreamEvent> StreamAsync(string collection, string question, SearchOptions options, IReadOnlyList<ChatTurn> history, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        var stream = _grains.GetGrain<IAnswerStreamGrain>(Guid.NewGuid()).AskStreamAsync(GrainKeys.Collection(tenant, collection), question, options, history.Count == 0 ? null : history, cancellationToken);
        await foreach (var item in stream.WithCancellation(cancellationToken))
        {
            yield return item;
        }
    }

    private async IAsyncEnumerable<AskStreamEvent> SendStreamAsync(string collection, string conversationId, string question, SearchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var tenant = await EnterAsync(cancellationToken);
        Authenticate();
        await foreach (var item in Conversation(tenant, collection, conversationId).SendStreamAsync(question, options, cancellationToken).WithCancellation(cancellationToken))
        {
            yield return item;
        }
    }

    private IConversationGrain Conversation(string tenant, string collection, string conversationId) =>
        _grains.GetGrain<IConversationGrain>(GrainKeys.Document(tenant, collection, conversationId));

    private static void CheckConversationIds(string collection, string conversationId)
    {
        CheckCollection(collection);
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(conversationId), conversationId), nameof(conversationId));
    }

    /// <summary>The tenant every grain key of this call is scoped to.</summary>
    private Task<string> EnterAsync(CancellationToken cancellationToken)
    {
        if (_knownTenant is not null)
        {
            return Task.FromResult(_knownTenant);
        }

        // Learned once per client; a failure (a wrong key) is not remembered, so a corrected key works.
        var pending = _keyTenant;
        if (pending is null || pending.IsFaulted || pending.IsCanceled)
        {
            _keyTenant = pending = LearnTenantAsync();
        }

        return pending.WaitAsync(cancellationToken);
    }

    private async Task<string> LearnTenantAsync() => (await WhoAmIAsync()).Tenant;

    /// <summary>The id of this client's key: what the cluster records as the owner of its conversations ("local" without keys).</summary>
    private string KeyId => _apiKey is not null && ApiKeys.TryGetId(_apiKey, out var id) ? id : RagPrincipal.LocalAdmin.KeyId;

    /// <summary>
    /// Puts the API key into Orleans' request context for the grain calls that follow in the calling method (a
    /// synchronous method, so the change stays in the caller's async flow and ends with it).
    /// </summary>
    private void Authenticate()
    {
        if (_apiKey is not null)
        {
            RequestContext.Set(RagRequestContext.ApiKey, _apiKey);
        }
    }

    private IDocumentGrain Document(string tenant, string collection, string documentId) =>
        _grains.GetGrain<IDocumentGrain>(GrainKeys.Document(tenant, collection, documentId));

    private ICollectionGrain Registry(string tenant, string collection) => _grains.GetGrain<ICollectionGrain>(GrainKeys.Collection(tenant, collection));

    private IQueryGrain Query(string tenant, string collection) => _grains.GetGrain<IQueryGrain>(GrainKeys.Collection(tenant, collection));

    /// <summary>
    /// The ids a grain key is made of, checked where the key is made (an id with '/' would name another grain). What a
    /// request's values may be (texts, options, settings, sizes) is checked in the grains, once, for every caller.
    /// </summary>
    private static void CheckCollection(string collection) =>
        RagValidation.ThrowIfInvalid(RagValidation.CheckId(nameof(collection), collection), nameof(collection));

    private static void CheckIds(string collection, string documentId)
    {
        CheckCollection(collection);
        RagValidation.ThrowIfInvalid(RagValidation.CheckDocumentId("document id", documentId), nameof(documentId));
    }
}
