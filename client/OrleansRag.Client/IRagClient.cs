namespace OrleansRag.Client;

/// <summary>
/// OrleansRag from another .NET application, over an Orleans client (or co-hosted in a silo). Every call is
/// scoped to the client's tenant. Invalid arguments throw <see cref="ArgumentException"/>; an unknown
/// collection or document throws <see cref="RagNotFoundException"/>.
/// </summary>
public interface IRagClient
{
    /// <summary>
    /// Creates or replaces a document from text; the same content again is a no-op (<see cref="IngestStatus.Unchanged"/>).
    /// Text over <c>Ingestion:SyncMaxBytes</c> is queued (<see cref="IngestStatus.Accepted"/>): see <see cref="GetAsync"/> for its status.
    /// </summary>
    Task<IngestResult> IngestAsync(string collection, string documentId, DocumentInput document, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces a document from a file as it is (PDF, DOCX, HTML, Markdown, plain text; see
    /// <see cref="ContentTypes"/>), streamed to the cluster in pieces. Small text files are ingested before this
    /// returns; other files are checked against their content type (a mismatch throws
    /// <see cref="DocumentRejectedException"/>) and queued (<see cref="IngestStatus.Accepted"/>): the document's
    /// <see cref="DocumentInfo.Status"/> then goes queued → processing → ready (or failed, with the reason).
    /// </summary>
    Task<IngestResult> IngestFileAsync(string collection, string documentId, Stream content, string contentType, string? title = null,
        IReadOnlyDictionary<string, MetadataValue>? metadata = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until a document is ready or failed (polling its status) and returns it; null when it does not exist.</summary>
    Task<DocumentInfo?> WaitForDocumentAsync(string collection, string documentId, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>The stored document, or null when it does not exist.</summary>
    Task<DocumentInfo?> GetAsync(string collection, string documentId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a document and its chunks; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string collection, string documentId, CancellationToken cancellationToken = default);

    /// <summary>The documents of a collection, by id.</summary>
    Task<IReadOnlyList<DocumentSummary>> ListAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>The documents of a collection whose latest version has <paramref name="status"/> (e.g. every failed one).</summary>
    Task<IReadOnlyList<DocumentSummary>> ListAsync(string collection, DocumentStatus status, CancellationToken cancellationToken = default);

    /// <summary>
    /// The best chunks (or documents) for <paramref name="query"/>, best first; dense ranking unless
    /// <paramref name="options"/> asks for BM25 or hybrid.
    /// </summary>
    Task<SearchResponse> SearchAsync(string collection, string query, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>An answer with numbered citations; sources ranked as <see cref="RagClient.DefaultAskOptions"/> unless given.</summary>
    Task<AskResponse> AskAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The answer as it is generated: Token events, then Done (citations, timings) or Error.</summary>
    IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// An answer to a follow-up: <paramref name="history"/> holds the earlier turns (oldest first), from which the
    /// question is condensed into a standalone one (<see cref="AskResponse.StandaloneQuestion"/>) before it is answered.
    /// Nothing is stored; use a conversation (<see cref="CreateConversationAsync"/>) to have the cluster keep the turns.
    /// </summary>
    Task<AskResponse> AskAsync(string collection, string question, IReadOnlyList<ChatTurn> history, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The answer to a follow-up as it is generated (see the history overload of AskAsync).</summary>
    IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collection, string question, IReadOnlyList<ChatTurn> history, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a conversation with a collection, owned by this client's key.</summary>
    Task<ConversationInfo> CreateConversationAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the next question of a conversation: answered with the conversation's earlier turns (a follow-up is
    /// condensed into a standalone question), and added as a turn (<see cref="AskResponse.Turn"/>).
    /// </summary>
    Task<AskResponse> SendMessageAsync(string collection, string conversationId, string question, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The next turn of a conversation as it is generated: Token events, then Done (the turn is stored) or Error.</summary>
    IAsyncEnumerable<AskStreamEvent> SendMessageStreamAsync(string collection, string conversationId, string question, SearchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>A conversation with its kept turns; null when it does not exist, has expired or is not this key's.</summary>
    Task<Conversation?> GetConversationAsync(string collection, string conversationId, CancellationToken cancellationToken = default);

    /// <summary>This key's conversations with a collection, most recently active first.</summary>
    Task<IReadOnlyList<ConversationInfo>> ListConversationsAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Deletes a conversation; false when it did not exist.</summary>
    Task<bool> DeleteConversationAsync(string collection, string conversationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Attaches a source (a folder, an Azure Blob container, an S3 bucket, a web site) to a collection, made when
    /// missing: the cluster syncs it at once and then every <see cref="SourceSettings.IntervalMinutes"/>. Secrets are
    /// kept encrypted and never returned. Null when the collection has a source of that id already.
    /// </summary>
    Task<SourceInfo?> AddSourceAsync(string collection, string sourceId, SourceSettings settings, SourceSecrets? secrets = null, CancellationToken cancellationToken = default);

    /// <summary>A source with its last sync, counts and per-file errors; null when there is none.</summary>
    Task<SourceInfo?> GetSourceAsync(string collection, string sourceId, CancellationToken cancellationToken = default);

    /// <summary>The collection's sources, by id.</summary>
    Task<IReadOnlyList<SourceInfo>> ListSourcesAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Starts a sync of a source now (one more after the running one, if any); null when there is no such source.</summary>
    Task<SourceInfo?> SyncSourceAsync(string collection, string sourceId, CancellationToken cancellationToken = default);

    /// <summary>Waits until a sync that started at or after <paramref name="since"/> has finished; the source as it then is.</summary>
    Task<SourceInfo?> WaitForSyncAsync(string collection, string sourceId, DateTimeOffset since, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Detaches a source and stops its syncing; its documents are deleted too unless <paramref name="keepDocuments"/>. False when there was none.</summary>
    Task<bool> DeleteSourceAsync(string collection, string sourceId, bool keepDocuments = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rates the answer <paramref name="answerId"/> (an answer's <see cref="AskResponse.AnswerId"/>), with an optional
    /// comment; a later rating replaces an earlier one. False when the collection's query log has no such answer.
    /// </summary>
    Task<bool> RateAnswerAsync(string collection, string answerId, AnswerRating rating, string? comment = null, CancellationToken cancellationToken = default);

    /// <summary>A page of the collection's query log, newest first (admins only); null when the collection does not exist.</summary>
    Task<QueryLogPage?> GetQueryLogAsync(string collection, QueryLogQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of a document's chunks as its shard holds them (index, text, pages, section heading, token count), in
    /// order: <paramref name="limit"/> from <paramref name="offset"/>; null when the document does not exist.
    /// </summary>
    Task<DocumentChunkPage?> GetChunksAsync(string collection, string documentId, int offset = 0, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>
    /// The original file of a document's served version, as uploaded (JSON text as UTF-8 text), read from the cluster as
    /// the stream is read; null when the document does not exist. A document whose original was not kept
    /// (<c>Ingestion:KeepSources</c> off, or ingested before originals were kept) throws <see cref="RagNotFoundException"/>.
    /// </summary>
    Task<DocumentContentStream?> OpenContentAsync(string collection, string documentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a portable archive of the collection to <paramref name="destination"/> as it reads it (<see cref="Archives.ArchiveFormat"/>:
    /// settings, embedding model, documents with metadata and status, chunks with vectors and sentence vectors, and the
    /// original files when <paramref name="includeSources"/>); memory holds one part of 256 chunks at most.
    /// </summary>
    Task<Archives.ExportSummary> ExportAsync(string collection, Stream destination, bool includeSources = false, IProgress<Archives.ArchiveProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Restores an archive into a new or empty collection (<paramref name="replace"/>: its documents are deleted first;
    /// otherwise a collection with documents throws <see cref="CollectionNotEmptyException"/>). The whole archive is checked
    /// first (kept in a temporary file on the way): a truncated, altered or foreign one throws
    /// <see cref="RagValidationException"/> and nothing is written. Documents whose vectors are of the collection's model
    /// are searchable at once; others are embedded again in the background. A failure part-way removes what it imported.
    /// </summary>
    Task<Archives.ImportSummary> ImportAsync(string collection, Stream archive, bool replace = false, IProgress<Archives.ArchiveProgress>? progress = null,
        CancellationToken cancellationToken = default);

    /// <summary>Creates a collection with its own settings (shards, chunking), or returns the existing one.</summary>
    Task<CollectionInfo> CreateCollectionAsync(string collection, CollectionSettings settings, CancellationToken cancellationToken = default);

    /// <summary>The tenant's collections with their sizes (documents, chunks), by name.</summary>
    Task<IReadOnlyList<CollectionSize>> ListCollectionsAsync(CancellationToken cancellationToken = default);

    /// <summary>A collection's settings and size; null when it does not exist.</summary>
    Task<CollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Who the cluster says this client is: its API key's id, tenant and role (the local admin without keys).</summary>
    Task<Security.RagPrincipal> WhoAmIAsync(CancellationToken cancellationToken = default);
}
