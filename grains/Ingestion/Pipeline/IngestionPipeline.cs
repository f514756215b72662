using Microsoft.Extensions.Options;
using OrleansRag.Embedding;
using OrleansRag.Ingestion.Ocr;

namespace OrleansRag.Ingestion.Pipeline;

/// <summary>The named stages of ingestion, as documents report them while they are processed.</summary>
public static class IngestionStages
{
    public const string Extract = "extract";
    public const string Ocr = "ocr";
    public const string Normalise = "normalise";
    public const string Chunk = "chunk";
    public const string Embed = "embed";
    public const string Index = "index";
    public const string Commit = "commit";
}

/// <summary>What the pipeline is asked to ingest.</summary>
/// <param name="DocumentId">The document's id (the title of last resort and the prefix of chunk ids).</param>
/// <param name="Content">The file's bytes (JSON text arrives here as UTF-8).</param>
/// <param name="ContentType">A media type of <see cref="ContentTypes"/>.</param>
/// <param name="Title">The title given with the document, if any.</param>
/// <param name="ChunkTokens">Word pieces per chunk (0 = whole document).</param>
/// <param name="OverlapTokens">Word pieces of overlap.</param>
/// <param name="EmbeddingModel">The collection's embedding model (null: a collection from before models were recorded).</param>
/// <param name="Chunks">Chunks cut already (a document imported from an archive of another model): only embedded.</param>
public sealed record class PipelineRequest(string DocumentId, ReadOnlyMemory<byte> Content, string ContentType, string? Title, int ChunkTokens, int OverlapTokens, string? EmbeddingModel,
    IReadOnlyList<TextChunk>? Chunks = null);

/// <summary>
/// What the pipeline produced. Small documents come back whole (<see cref="Chunks"/>); larger ones were handed
/// to the sink in <see cref="Parts"/> parts of at most <see cref="IngestionOptions.PartChunks"/> chunks.
/// <see cref="EmbeddingModel"/> is the model that embedded them; <see cref="OcrPages"/> the pages whose text OCR read.
/// </summary>
public sealed record class PipelineResult(string Title, int ChunkCount, int? PageCount, int Parts, IndexedChunk[]? Chunks, string EmbeddingModel, int[]? OcrPages = null);

/// <summary>The index stage's target: where embedded chunks go, part by part, before they are committed.</summary>
public interface IChunkSink
{
    Task StagePartAsync(int part, IndexedChunk[] chunks, CancellationToken cancellationToken);
}

/// <summary>
/// Ingestion as named stages, wired once at start-up: extract (the <see cref="IDocumentExtractor"/> of the
/// content type) → OCR (scanned pages only, <see cref="OcrStage"/>) → normalise → chunk → embed (bounded batches through the silo's embedding service's bulk
/// lane, each distinct chunk text embedded once; each chunk's sentence vectors are pooled from the same forward
/// pass and stored with it as int8, so answers embed nothing but the question) → index (parts handed to an <see cref="IChunkSink"/>). Commit belongs to
/// the document grain, which owns write order. No stage keeps more than one part of embedded chunks pending.
/// </summary>
public sealed class IngestionPipeline
{
    private readonly Dictionary<string, IDocumentExtractor> _extractors;
    private readonly OcrStage _ocr;
    private readonly ITextNormalizer _normalizer;
    private readonly IDocumentChunker _chunker;
    private readonly EmbeddingModels _models;
    private readonly IngestionOptions _options;

    public IngestionPipeline(IEnumerable<IDocumentExtractor> extractors, OcrStage ocr, ITextNormalizer normalizer, IDocumentChunker chunker, EmbeddingModels models, IOptions<IngestionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        ArgumentNullException.ThrowIfNull(options);
        _extractors = new Dictionary<string, IDocumentExtractor>(StringComparer.Ordinal);
        foreach (var extractor in extractors)
        {
            if (!_extractors.TryAdd(extractor.ContentType, extractor))
            {
                throw new InvalidOperationException($"Two document extractors read {extractor.ContentType}: {_extractors[extractor.ContentType].GetType().Name} and {extractor.GetType().Name}.");
            }
        }

        var missing = ContentTypes.MediaTypes.Where(t => !_extractors.ContainsKey(t)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"No document extractor is registered for {string.Join(", ", missing)} (declared in ContentTypes).");
        }

        _ocr = ocr;
        _normalizer = normalizer;
        _chunker = chunker;
        _models = models;
        _options = options.Value;
    }

    public ExtractionLimits Limits => new(_options.MaxDocumentBytes, _options.MaxExpandedBytes);

    /// <summary>The quick check of bytes against their content type; throws <see cref="DocumentRejectedException"/>.</summary>
    public void Check(string contentType, ReadOnlySpan<byte> content) => Extractor(contentType).Check(content);

    public async Task<PipelineResult> RunAsync(PipelineRequest request, IChunkSink sink, Action<string>? stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        if (request.Chunks is { } cut)
        {
            var pages = cut.SelectMany(c => new[] { c.Page, c.LastPage }).Where(p => p is not null).Select(p => p!.Value).ToList();
            var service = await _models.GetAsync(request.EmbeddingModel ?? _models.LegacyModel);
            var embedder = await service.GetModelAsync();
            return await EmbedAsync(request, service, embedder, request.Title ?? request.DocumentId, pages.Count > 0 ? pages.Max() : null,
                [.. cut.Select(c => c with { TokenCount = embedder.Tokenizer.CountTokens(c.Text) })], sink, stage, cancellationToken); // counted by this model's tokenizer
        }

        var extractor = Extractor(request.ContentType);

        // CPU-bound stages run on the thread pool, not on the calling grain's scheduler.
        stage?.Invoke(IngestionStages.Extract);
        var extracted = await Task.Run(() => extractor.Extract(request.Content, Limits, cancellationToken), cancellationToken);
        if (extracted.ScannedPages is { Count: > 0 })
        {
            stage?.Invoke(IngestionStages.Ocr);
            var scanned = extracted;
            extracted = await Task.Run(() => _ocr.ReadAsync(scanned, request.Content, ContentTypes.Normalize(request.ContentType), cancellationToken), cancellationToken);
        }

        stage?.Invoke(IngestionStages.Normalise);
        extracted = await Task.Run(() => _normalizer.Normalize(extracted), cancellationToken);
        if (extracted.Blocks.Count == 0)
        {
            throw new DocumentRejectedException("The document has no readable text.");
        }

        var title = !string.IsNullOrWhiteSpace(request.Title) ? request.Title.Trim() : extracted.Title ?? request.DocumentId;
        var pageCount = extracted.PageCount;
        int[]? ocrPages = extracted.OcrPages is { Count: > 0 } read ? [.. read] : null;

        stage?.Invoke(IngestionStages.Chunk);
        var embeddings = await _models.GetAsync(request.EmbeddingModel ?? _models.LegacyModel); // the collection's model
        var model = await embeddings.GetModelAsync();
        var plan = new ChunkingPlan(model.Tokenizer, ChunkBudget(model, title, request.ChunkTokens), request.OverlapTokens);
        var pieces = await Task.Run(() => _chunker.Chunk(extracted, plan, cancellationToken).ToList(), cancellationToken);
        extracted = null; // the blocks are not needed past this point
        return await EmbedAsync(request, embeddings, model, title, pageCount, pieces, sink, stage, cancellationToken) with { OcrPages = ocrPages };
    }

    /// <summary>The embed and index stages over the chunks of one document.</summary>
    private async Task<PipelineResult> EmbedAsync(PipelineRequest request, EmbeddingService embeddings, OnnxEmbedder model, string title, int? pageCount,
        List<TextChunk> pieces, IChunkSink sink, Action<string>? stage, CancellationToken cancellationToken)
    {
        stage?.Invoke(IngestionStages.Embed);
        var embedded = new Dictionary<string, EmbeddedPiece>(StringComparer.Ordinal);
        var pending = new List<IndexedChunk>(Math.Min(pieces.Count, _options.PartChunks));
        var parts = 0;
        for (var start = 0; start < pieces.Count; start += _options.EmbedBatchSize)
        {
            var batch = pieces.GetRange(start, Math.Min(_options.EmbedBatchSize, pieces.Count - start));
            var missing = batch.Select(piece => piece.Text).Where(text => !embedded.ContainsKey(text)).Distinct(StringComparer.Ordinal).ToArray();
            if (missing.Length > 0)
            {
                var spans = missing.Select(text => _options.SentenceVectors ? SentenceSplitter.Spans(text) : null).ToArray();
                var outputs = await embeddings.EmbedPassagesAsync(
                    [.. missing.Select((text, i) => new Passage(title, text, spans[i] ?? []))], cancellationToken);
                for (var i = 0; i < missing.Length; i++)
                {
                    var sentences = spans[i] is { } found && outputs[i].SpanVectors is { } pooled ? SentenceVectorCodec.Encode(found, pooled) : null;
                    embedded[missing[i]] = new EmbeddedPiece(outputs[i].Vector, sentences);
                }
            }

            foreach (var piece in batch)
            {
                var (vector, sentences) = embedded[piece.Text];
                pending.Add(new IndexedChunk($"{request.DocumentId}#{piece.Index}", request.DocumentId, piece.Index, title, piece.Text, vector,
                    piece.Page, piece.LastPage, sentences, piece.Section, piece.TokenCount));
            }

            var more = start + batch.Count < pieces.Count;
            if (pending.Count >= _options.PartChunks && more)
            {
                stage?.Invoke(IngestionStages.Index);
                await sink.StagePartAsync(parts++, [.. pending], cancellationToken);
                pending.Clear();
                stage?.Invoke(IngestionStages.Embed);
            }
        }

        if (parts == 0)
        {
            return new PipelineResult(title, pieces.Count, pageCount, 0, [.. pending], model.Name);
        }

        stage?.Invoke(IngestionStages.Index);
        await sink.StagePartAsync(parts++, [.. pending], cancellationToken);
        return new PipelineResult(title, pieces.Count, pageCount, parts, null, model.Name);
    }

    private sealed record EmbeddedPiece(float[] Vector, SentenceVectors? Sentences);

    private IDocumentExtractor Extractor(string contentType) =>
        _extractors.TryGetValue(ContentTypes.Normalize(contentType), out var extractor)
            ? extractor
            : throw new DocumentRejectedException($"Content type '{contentType}' is not one OrleansRag reads; use one of: {ContentTypes.Describe()}.");

    /// <summary>
    /// Chunks are embedded as "title + ' ' + chunk" (as MTEB embeds title + text), so the title's word pieces
    /// count against the model's limit; 0 keeps the document whole.
    /// </summary>
    private static int ChunkBudget(OnnxEmbedder model, string title, int chunkTokens)
    {
        if (chunkTokens == 0)
        {
            return 0;
        }

        var titleTokens = Math.Min(model.Tokenizer.CountTokens(title), model.MaxTokens / 4);
        return Math.Max(32, Math.Min(chunkTokens, model.MaxTokens - 2 - titleTokens - 1));
    }
}
