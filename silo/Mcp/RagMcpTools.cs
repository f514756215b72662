using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using OrleansRag.Client;
using OrleansRag.Security;

namespace OrleansRag.Silo.Mcp;

/// <summary>
/// The tools of the MCP server at /mcp. Each reaches the cluster through the request's <see cref="IRagClient"/>, so
/// the caller's API key, tenant and role apply exactly as over HTTP. Results are bounded (the limits are in the
/// descriptions the agent reads); bad arguments and unknown names are tool errors with a message that says what to fix.
/// </summary>
[McpServerToolType]
public static class RagMcpTools
{
    /// <summary>Most hits or sources a tool returns.</summary>
    public const int MaxTopK = 20;

    /// <summary>Longest chunk text in a search result (characters).</summary>
    public const int MaxHitChars = 1_000;

    /// <summary>Most chunks get_document returns, and the longest chunk text it returns.</summary>
    public const int MaxDocumentChunks = 50;

    public const int MaxChunkChars = 1_500;

    public sealed record CollectionEntry(string Name, int Documents, long Chunks);

    public sealed record Hit(string DocumentId, string Title, int ChunkIndex, int? Page, float Score, string Text, bool Truncated);

    public sealed record SearchResult(string Collection, string Query, string Mode, IReadOnlyList<Hit> Hits);

    public sealed record Source(int N, string DocumentId, string Title, int? Page, string Snippet);

    public sealed record AskResult(string Answer, IReadOnlyList<Source> Citations, string? StandaloneQuestion, string? ConversationId, int? Turn, bool Degraded);

    public sealed record Chunk(int Index, int? Page, string? Section, string Text, bool Truncated);

    public sealed record DocumentResult(
        string Id, string Title, string ContentType, string Status, IReadOnlyDictionary<string, MetadataValue> Metadata,
        int ChunkCount, int? PageCount, IReadOnlyList<Chunk> Chunks, bool ChunksTruncated);

    [McpServerTool(Name = "list_collections", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Lists the document collections this API key can search and ask, with their numbers of documents and chunks.")]
    public static Task<IReadOnlyList<CollectionEntry>> ListCollectionsAsync(IRagClient rag, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<CollectionEntry>>(async () =>
            [.. (await rag.ListCollectionsAsync(cancellationToken)).Select(c => new CollectionEntry(c.Name, c.DocumentCount, c.ChunkCount))]);

    [McpServerTool(Name = "search", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Finds the passages of a collection that best match a query, best first. Returns at most 20 hits, each with its document id, " +
        "title, page and up to 1,000 characters of text.")]
    public static Task<SearchResult> SearchAsync(
        IRagClient rag,
        [Description("The collection to search (see list_collections).")] string collection,
        [Description("What to look for, in natural language or keywords.")] string query,
        [Description("Ranking: \"hybrid\" (default: meaning and keywords), \"dense\" (meaning) or \"bm25\" (keywords).")] string? mode = null,
        [Description("How many hits to return, 1 to 20 (default 5).")] int? topK = null,
        [Description("Optional metadata filter: {\"field\": \"team\", \"eq\": \"core\"}, {\"field\": \"year\", \"gte\": 2024}, or \"and\"/\"or\"/\"not\" of such (operators eq, in, gt, gte, lt, lte).")] JsonElement? filter = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            var options = Options(mode, topK, filter, SearchMode.Hybrid);
            var found = await rag.SearchAsync(collection, query, options, cancellationToken);
            return new SearchResult(found.Collection, found.Query, options.Mode.ToString().ToLowerInvariant(),
                [.. found.Hits.Select(h => new Hit(h.DocumentId, h.Title, h.ChunkIndex, h.Page, h.Score, Cut(h.Text, MaxHitChars), h.Text.Length > MaxHitChars))]);
        });

    [McpServerTool(Name = "ask", ReadOnly = false, Idempotent = false, OpenWorld = false)]
    [Description("Answers a question from a collection's documents, with numbered citations (at most 20 sources, snippets up to 1,000 characters). " +
        "To hold a conversation, pass conversationId \"new\" on the first question and the returned conversationId on each follow-up: " +
        "follow-ups are then understood in the context of the earlier questions.")]
    public static Task<AskResult> AskAsync(
        IRagClient rag,
        [Description("The collection to ask (see list_collections).")] string collection,
        [Description("The question.")] string question,
        [Description("Optional: \"new\" to start a conversation, or the conversationId an earlier answer returned.")] string? conversationId = null,
        [Description("Ranking of the sources: \"hybrid\" (default), \"dense\" or \"bm25\".")] string? mode = null,
        [Description("How many sources to answer from, 1 to 20 (default 5).")] int? topK = null,
        [Description("Optional metadata filter, e.g. {\"field\": \"team\", \"eq\": \"core\"} (as in search).")] JsonElement? filter = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            var options = Options(mode, topK, filter, SearchMode.Hybrid);
            if (string.Equals(conversationId, "new", StringComparison.OrdinalIgnoreCase))
            {
                conversationId = (await rag.CreateConversationAsync(collection, cancellationToken)).Id;
            }

            var answer = string.IsNullOrEmpty(conversationId)
                ? await rag.AskAsync(collection, question, options, cancellationToken)
                : await rag.SendMessageAsync(collection, conversationId, question, options, cancellationToken);
            return new AskResult(answer.Answer,
                [.. answer.Citations.Select(c => new Source(c.N, c.DocumentId, c.Title, c.Page, Cut(c.Snippet, MaxHitChars)))],
                answer.StandaloneQuestion, answer.ConversationId, answer.Turn, answer.Degraded);
        });

    [McpServerTool(Name = "get_document", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Reads one document of a collection: its title, metadata and status, and its chunks in order with their pages " +
        "(the first 50 chunks, each up to 1,500 characters; chunksTruncated says when there are more).")]
    public static Task<DocumentResult> GetDocumentAsync(
        IRagClient rag,
        [Description("The collection (see list_collections).")] string collection,
        [Description("The document's id, as search and ask results give it.")] string id,
        CancellationToken cancellationToken = default) =>
        RunAsync(async () =>
        {
            var document = await rag.GetAsync(collection, id, cancellationToken) ?? throw RagNotFoundException.Document(collection, id);
            var chunks = await rag.GetChunksAsync(collection, id, 0, MaxDocumentChunks, cancellationToken);
            return new DocumentResult(document.Id, document.Title, document.ContentType, document.Status.ToString().ToLowerInvariant(),
                document.Metadata, document.ChunkCount, document.PageCount,
                [.. (chunks?.Chunks ?? []).Select(c => new Chunk(c.Index, c.Page, c.Section, Cut(c.Text, MaxChunkChars), c.Text.Length > MaxChunkChars))],
                chunks?.NextOffset is not null);
        });

    /// <summary>Search options from a tool's arguments; bad values are tool errors that say what is accepted.</summary>
    private static SearchOptions Options(string? mode, int? topK, JsonElement? filter, SearchMode defaultMode)
    {
        var parsedMode = defaultMode;
        if (!string.IsNullOrWhiteSpace(mode) && !Enum.TryParse(mode, ignoreCase: true, out parsedMode))
        {
            throw new McpException($"mode must be \"hybrid\", \"dense\" or \"bm25\"; it was \"{mode}\".");
        }

        var k = topK ?? RagConstants.DefaultTopK;
        if (k is < 1 or > MaxTopK)
        {
            throw new McpException($"topK must be between 1 and {MaxTopK}; it was {k}.");
        }

        MetadataFilter? parsedFilter = null;
        if (filter is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json)
        {
            (parsedFilter, var problem) = MetadataFilter.Parse(json);
            if (problem is not null)
            {
                throw new McpException(problem);
            }
        }

        return new SearchOptions(k, parsedMode, Filter: parsedFilter);
    }

    /// <summary>Runs a tool; what the caller got wrong (names, arguments, access) becomes a tool error with its message.</summary>
    private static async Task<T> RunAsync<T>(Func<Task<T>> tool)
    {
        try
        {
            return await tool();
        }
        catch (Exception exception) when (exception is RagValidationException or ArgumentException or RagNotFoundException or ConversationConflictException or EmbeddingModelMismatchException)
        {
            throw new McpException(exception.Message, exception);
        }
        catch (RagAccessDeniedException exception)
        {
            throw new McpException(exception.Status == 404 ? "Not found." : exception.Message, exception);
        }
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}
