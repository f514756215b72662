using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansRag.Conversations;
using OrleansRag.Embedding;
using OrleansRag.Query;
using OrleansRag.Query.QueryLog;

namespace OrleansRag.Generation;

/// <summary>
/// An optional stage between retrieval and generation that reorders or trims the retrieved chunks (a
/// cross-encoder, a business rule). Registered implementations run in registration order; none is registered
/// by default.
/// </summary>
public interface IRerankStage
{
    Task<SearchHit[]> RerankAsync(string question, float[] questionVector, SearchHit[] hits, CancellationToken cancellationToken);
}

/// <summary>
/// The one answer path, for asks, streamed asks and conversation turns alike: find the collection
/// (<see cref="CollectionDirectory"/>, off the collection grain) → condense a follow-up into a standalone question
/// (<see cref="IFollowUpCondenser"/>, only when there is history) → retrieve (<see cref="Retriever"/>, with sentence vectors) → the answer cache
/// (keyed by the retrieved content, so never stale) → rerank stages → generate: the language model when one is
/// configured, else the extractive generator; when the model fails before answering, the extractive answer
/// stands in, marked degraded (<see cref="FallbackAsync"/>, the only place that happens). The caller's token
/// reaches the embedding queue, every shard call and the model request.
/// </summary>
public sealed class AnswerPipeline(
    CollectionDirectory collections,
    Retriever retriever,
    AnswerCache cache,
    EmbeddingModels embeddings,
    IFollowUpCondenser condenser,
    IEnumerable<IRerankStage> rerankers,
    Rerank.Reranking reranking,
    IOptions<GenerationOptions> options,
    IOptions<Ingestion.IngestionOptions> ingestion,
    Lazy<LanguageModelGenerator> languageModel,
    QueryLogRecorder queryLog,
    TimeProvider time)
{
    private readonly ExtractiveGenerator _extractive = new(options.Value.MaxSentences, options.Value.MinScore);
    private readonly IRerankStage[] _rerankers = [.. rerankers];

    /// <summary>
    /// The whole answer; null when the collection does not exist. With <paramref name="history"/> (earlier turns, oldest
    /// first) the question is condensed into a standalone one first, which is what is retrieved and answered.
    /// </summary>
    public async Task<AskResponse?> AskAsync(string collectionKey, string question, SearchOptions searchOptions, IReadOnlyList<ChatTurn>? history, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var prepared = await PrepareAsync(collectionKey, question, searchOptions, history, cancellationToken);
        if (prepared is null)
        {
            return null;
        }

        var response = await cache.GetOrComputeAsync(prepared.CacheKey, async token =>
        {
            var generate = Stopwatch.StartNew();
            var (hits, reranked) = await RerankAsync(prepared, token);
            var answer = await GenerateAsync(prepared.Standalone, prepared.Vector, prepared.Sources.EmbeddingModel, hits, token);
            return prepared.Response(answer, generate.Elapsed.TotalMilliseconds, total.Elapsed.TotalMilliseconds, reranked);
        }, cancellationToken);

        // Each caller's answer has its own id, also when it shared a computation or came from the cache; a cached
        // answer reports this request's own question and timings too.
        var answer = (response.Cached ? prepared.Stamp(response, total.Elapsed.TotalMilliseconds) : response) with { AnswerId = NewAnswerId() };
        await queryLog.RecordAsync(collectionKey, answer, searchOptions, time.GetUtcNow(), cancellationToken);
        return answer;
    }

    private string NewAnswerId() => QueryLogIds.New(time.GetUtcNow());

    /// <summary>
    /// Token events as the answer is produced, then Done with the whole answer (or one Error event: an unknown
    /// collection, a model stream that broke after its first token). A cached answer streams as one token.
    /// </summary>
    public async IAsyncEnumerable<AskStreamEvent> AskStreamAsync(string collectionKey, string question, SearchOptions searchOptions, IReadOnlyList<ChatTurn>? history, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var prepared = await PrepareAsync(collectionKey, question, searchOptions, history, cancellationToken);
        if (prepared is null)
        {
            yield return new AskStreamEvent(AskStreamEventKind.Error, Error: $"Collection '{GrainKeys.CollectionName(collectionKey)}' does not exist.");
            yield break;
        }

        if (cache.TryGet(prepared.CacheKey, out var cached))
        {
            var stamped = prepared.Stamp(cached with { Cached = true }, total.Elapsed.TotalMilliseconds) with { AnswerId = NewAnswerId() };
            await queryLog.RecordAsync(collectionKey, stamped, searchOptions, time.GetUtcNow(), cancellationToken);
            yield return new AskStreamEvent(AskStreamEventKind.Token, cached.Answer);
            yield return new AskStreamEvent(AskStreamEventKind.Done, Response: stamped);
            yield break;
        }

        var generate = Stopwatch.StartNew();
        var (hits, reranked) = await RerankAsync(prepared, cancellationToken);
        GeneratedAnswer? answer = null;
        if (options.Value.UsesLanguageModel && hits.Length > 0)
        {
            var model = languageModel.Value;
            IAsyncEnumerator<AskStreamEvent>? stream = null;
            var opened = false;
            try
            {
                stream = model.StreamAsync(prepared.Standalone, hits, cancellationToken).GetAsyncEnumerator(cancellationToken);
                opened = await stream.MoveNextAsync();
            }
            catch (LanguageModelUnavailableException exception)
            {
                answer = await FallbackAsync(model, exception, prepared.Standalone, prepared.Vector, prepared.Sources.EmbeddingModel, hits, cancellationToken);
            }

            if (answer is null)
            {
                await using (stream)
                {
                    for (var more = opened; more; more = await stream!.MoveNextAsync())
                    {
                        var item = stream!.Current;
                        if (item.Kind == AskStreamEventKind.Done && item.Response is { } done)
                        {
                            var computed = prepared.Response(new GeneratedAnswer(done.Answer, done.Citations, done.Degraded, done.DegradedReason), generate.Elapsed.TotalMilliseconds, total.Elapsed.TotalMilliseconds, reranked);
                            cache.Set(prepared.CacheKey, computed);
                            var response = computed with { AnswerId = NewAnswerId() };
                            await queryLog.RecordAsync(collectionKey, response, searchOptions, time.GetUtcNow(), cancellationToken);
                            item = item with { Response = response };
                        }

                        yield return item;
                    }
                }

                yield break;
            }
        }

        answer ??= await ExtractAsync(prepared.Standalone, prepared.Vector, prepared.Sources.EmbeddingModel, hits, cancellationToken);
        var computedFinal = prepared.Response(answer, generate.Elapsed.TotalMilliseconds, total.Elapsed.TotalMilliseconds, reranked);
        cache.Set(prepared.CacheKey, computedFinal);
        var final = computedFinal with { AnswerId = NewAnswerId() };
        await queryLog.RecordAsync(collectionKey, final, searchOptions, time.GetUtcNow(), cancellationToken);
        yield return new AskStreamEvent(AskStreamEventKind.Token, answer.Answer);
        yield return new AskStreamEvent(AskStreamEventKind.Done, Response: final);
    }

    /// <summary>
    /// The extractive answer: candidate sentences scored with their stored vectors; only sentences of chunks
    /// stored without vectors are embedded now, by the collection's model <paramref name="embeddingModel"/> (interactive lane).
    /// </summary>
    public async Task<GeneratedAnswer> ExtractAsync(string question, float[] questionVector, string embeddingModel, SearchHit[] hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var candidates = ExtractiveGenerator.Candidates(hits);
        if (candidates.Count == 0)
        {
            return new GeneratedAnswer(ExtractiveGenerator.NoAnswer, []);
        }

        var vectors = new float[candidates.Count][];
        var missing = new List<int>();
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is { StoredVector: >= 0, Source.Sentences: { } stored } candidate)
            {
                vectors[i] = SentenceVectorCodec.Decode(stored, candidate.StoredVector);
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            var embedded = await embeddings.EmbedNowAsync(embeddingModel, [.. missing.Select(i => candidates[i].Text)], EmbeddingKind.Document, cancellationToken);
            for (var m = 0; m < missing.Count; m++)
            {
                vectors[missing[m]] = embedded[m];
            }
        }

        return _extractive.Generate(question, questionVector, candidates, vectors);
    }

    private async Task<Prepared?> PrepareAsync(string collectionKey, string question, SearchOptions searchOptions, IReadOnlyList<ChatTurn>? history, CancellationToken cancellationToken)
    {
        Retriever.Validate(nameof(question), question, searchOptions);
        if (history is not null)
        {
            RagValidation.ThrowIfInvalid(RagValidation.CheckHistory(history), nameof(history));
        }

        var info = await collections.FindAsync(collectionKey, cancellationToken);
        if (info is null)
        {
            return null;
        }

        var condensing = Stopwatch.StartNew();
        var condensed = history is { Count: > 0 }
            ? await condenser.CondenseAsync(question, history, cancellationToken)
            : CondensedQuestion.Unchanged(question);
        var condenseMs = condensing.Elapsed.TotalMilliseconds;
        Activity.Current?.SetTag("orleansrag.condense.method", condensed.Method);

        var standalone = condensed.Question;
        var rerank = reranking.Wanted(searchOptions.Rerank, info.Rerank);
        var retrieve = searchOptions with { PerDocument = false, TopK = rerank ? reranking.Candidates(searchOptions.TopK) : searchOptions.TopK };
        var sources = await retriever.RetrieveAsync(collectionKey, info, standalone, retrieve, forAnswer: true, cancellationToken);
        sources = await WithBothSidesAsync(collectionKey, info, standalone, retrieve, sources, cancellationToken);
        sources = await WithListEndsAsync(collectionKey, info, sources, cancellationToken);
        var vector = sources.Vector ?? await retriever.EmbedQuestionAsync(sources.EmbeddingModel, standalone, cancellationToken);
        return new Prepared(info.Name, question, condensed, condenseMs, sources, vector, AnswerCache.Key(collectionKey, standalone, searchOptions with { Rerank = rerank }, sources.Hits),
            ingestion.Value.KeepSources, rerank ? searchOptions.TopK : null);
    }

    /// <summary>
    /// For a comparison ("the difference between A and B"), what each side alone retrieves, in the documents the question
    /// found, joins the sources (after them): a question about both sides ranks passages about both, so the passage
    /// that says what one side is often misses the top k.
    /// </summary>
    private async Task<RetrievedSources> WithBothSidesAsync(string collectionKey, CollectionInfo info, string question, SearchOptions options, RetrievedSources sources,
        CancellationToken cancellationToken)
    {
        if (QuestionShape.Of(question) is not { Kind: QuestionKind.Comparison, SideA: { } a, SideB: { } b } || sources.Hits.Length == 0)
        {
            return sources;
        }

        var documents = sources.Hits.Select(h => h.DocumentId).ToHashSet(StringComparer.Ordinal);
        var side = options with { TopK = SideTopK, PerDocument = false };
        var found = await Task.WhenAll(new[] { a, b }.Where(s => s.Length > 1).Select(s => retriever.RetrieveAsync(collectionKey, info, s, side, forAnswer: true, cancellationToken)));
        var seen = sources.Hits.Select(h => h.ChunkId).ToHashSet(StringComparer.Ordinal);
        var added = found.SelectMany(f => f.Hits).Where(h => documents.Contains(h.DocumentId) && seen.Add(h.ChunkId)).ToArray();
        return added.Length == 0 ? sources : sources with
        {
            Hits = [.. sources.Hits, .. added],
            EmbedMs = sources.EmbedMs + found.Sum(f => f.EmbedMs),
            RetrieveMs = sources.RetrieveMs + found.Max(f => f.RetrieveMs),
        };
    }

    /// <summary>
    /// When one of the best <see cref="ContinuedHits"/> sources ends in a list or code block (or with the sentence that
    /// introduces one), the chunk after it joins the sources (after them), so that the answer can bring the whole list.
    /// </summary>
    private async Task<RetrievedSources> WithListEndsAsync(string collectionKey, CollectionInfo info, RetrievedSources sources, CancellationToken cancellationToken)
    {
        var held = sources.Hits.Select(h => (h.DocumentId, h.ChunkIndex)).ToHashSet();
        var cut = sources.Hits.Take(ContinuedHits).Where(h => !held.Contains((h.DocumentId, h.ChunkIndex + 1)) && EndsOpen(h.Text)).ToList();
        if (cut.Count == 0)
        {
            return sources;
        }

        var next = await Task.WhenAll(cut.Select(h => retriever.NextChunkAsync(collectionKey, info, h, cancellationToken)));
        var added = next.OfType<SearchHit>().Where(h => held.Add((h.DocumentId, h.ChunkIndex))).ToArray();
        return added.Length == 0 ? sources : sources with { Hits = [.. sources.Hits, .. added] };
    }

    /// <summary>Whether a chunk's text ends in a list or code, or with a sentence that introduces what comes next.</summary>
    private static bool EndsOpen(string text)
    {
        var layout = ChunkLayout.Of(text);
        return layout.Count > 0 && (layout[^1].Kind is ParagraphKind.ListItem or ParagraphKind.Code || ChunkLayout.Introduces(layout[^1].Text));
    }

    /// <summary>The best sources whose cut-off list or code is followed into the next chunk.</summary>
    private const int ContinuedHits = 2;

    /// <summary>Passages each side of a comparison retrieves on its own.</summary>
    private const int SideTopK = 3;

    /// <summary>
    /// The hits to answer from: when the ask is reranked, the reranker's best topK of the candidates (or the fused topK,
    /// with the reason, when it fails); then any registered <see cref="IRerankStage"/>s.
    /// </summary>
    private async Task<(SearchHit[] Hits, Rerank.RerankResult? Reranked)> RerankAsync(Prepared prepared, CancellationToken cancellationToken)
    {
        var hits = prepared.Sources.Hits;
        Rerank.RerankResult? reranked = null;
        if (prepared.RerankTopK is { } topK)
        {
            reranked = await reranking.RerankAsync(prepared.Standalone, hits, topK, cancellationToken);
            hits = reranked.Hits;
        }

        foreach (var reranker in _rerankers)
        {
            hits = await reranker.RerankAsync(prepared.Question, prepared.Vector, hits, cancellationToken);
        }

        return (hits, reranked);
    }

    private async Task<GeneratedAnswer> GenerateAsync(string question, float[] questionVector, string embeddingModel, SearchHit[] hits, CancellationToken cancellationToken)
    {
        using var activity = RagTelemetry.ActivitySource.StartActivity("generate");
        activity?.SetTag("orleansrag.generation.provider", options.Value.Provider);
        activity?.SetTag("orleansrag.generation.sources", hits.Length);
        if (options.Value.UsesLanguageModel && hits.Length > 0)
        {
            var model = languageModel.Value;
            try
            {
                return await model.GenerateAsync(question, hits, cancellationToken);
            }
            catch (LanguageModelUnavailableException exception)
            {
                return await FallbackAsync(model, exception, question, questionVector, embeddingModel, hits, cancellationToken);
            }
        }

        return await ExtractAsync(question, questionVector, embeddingModel, hits, cancellationToken);
    }

    /// <summary>The extractive answer standing in for a failed model, marked degraded with the reason.</summary>
    private async Task<GeneratedAnswer> FallbackAsync(LanguageModelGenerator model, LanguageModelUnavailableException exception, string question, float[] questionVector, string embeddingModel, SearchHit[] hits, CancellationToken cancellationToken)
    {
        model.RecordFallback(exception.Message);
        Activity.Current?.SetTag("orleansrag.generation.degraded", true);
        return await ExtractAsync(question, questionVector, embeddingModel, hits, cancellationToken) with { Degraded = true, DegradedReason = exception.Message };
    }

    /// <summary>What one ask retrieved (for the question as condensed), and the cache key derived from it.</summary>
    /// <remarks><c>LinkOriginals</c>: citations link to the originals of their documents (kept: <see cref="Ingestion.IngestionOptions.KeepSources"/>).</remarks>
    /// <remarks><c>RerankTopK</c>: set when the ask is reranked, to the number of sources to keep from the candidates.</remarks>
    private sealed record Prepared(string Collection, string Question, CondensedQuestion Condensed, double CondenseMs, RetrievedSources Sources, float[] Vector, string CacheKey, bool LinkOriginals,
        int? RerankTopK)
    {
        /// <summary>The question retrieval and generation answer.</summary>
        public string Standalone => Condensed.Question;

        private string? Rewrite => Condensed.Rewritten ? Condensed.Question : null;

        public AskTimings Timings(double generateMs, double totalMs) => new(Sources.EmbedMs, Sources.RetrieveMs, generateMs, totalMs, CondenseMs);

        /// <summary>The response; a rerank that failed makes it degraded too, its reason beside the model's, if any.</summary>
        public AskResponse Response(GeneratedAnswer answer, double generateMs, double totalMs, Rerank.RerankResult? reranked)
        {
            var reasons = new[] { answer.DegradedReason, reranked?.DegradedReason }.Where(r => r is not null).ToList();
            return new(Collection, Question, answer.Answer, Linked(answer.Citations), Timings(generateMs, totalMs),
                Degraded: answer.Degraded || reranked?.DegradedReason is not null, DegradedReason: reasons.Count == 0 ? null : string.Join("; ", reasons),
                StandaloneQuestion: Rewrite, Reranked: reranked?.Reranked ?? false);
        }

        // An array, not a collection expression: a conversation keeps its answers in grain state, and a JSON storage
        // serialiser cannot make the list type the compiler would synthesise for IReadOnlyList<T>.
        private IReadOnlyList<Citation> Linked(IReadOnlyList<Citation> citations) => LinkOriginals
            ? citations.Select(c => c with { Link = Citation.ContentLink(Collection, c.DocumentId, c.Page) }).ToArray()
            : citations;

        /// <summary>A cached answer as this request's: its own question, rewrite and timings (generation 0).</summary>
        public AskResponse Stamp(AskResponse cached, double totalMs) =>
            cached with { Question = Question, StandaloneQuestion = Rewrite, Timings = Timings(0, totalMs) };
    }
}
