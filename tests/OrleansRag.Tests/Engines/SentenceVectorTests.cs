using System.Numerics.Tensors;
using System.Text.Json;
using OrleansRag.Embedding;
using OrleansRag.Ingestion;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>Sentence vectors pooled from a chunk's own forward pass, as ingestion stores them for the extractive generator.</summary>
[Trait("Category", "Unit")]
public sealed class SentenceVectorTests
{
    private static List<(string Title, string Text)> Abstracts(int count) =>
        [.. File.ReadLines(TestPaths.Data("scifact", "corpus.jsonl")).Take(count)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("title").GetString()!, e.GetProperty("text").GetString()!))];

    [Fact]
    public void Passage_ids_are_the_plain_encoding_and_every_sentence_span_lines_up()
    {
        var model = TestModel.Embedder;
        var placed = 0;
        foreach (var (title, text) in Abstracts(60))
        {
            var spans = SentenceSplitter.Spans(text);
            Assert.NotNull(spans);
            Assert.Equal(SentenceSplitter.SplitText(text), spans!.Select(s => text.Substring(s.Start, s.Length)));

            var (ids, tokenSpans) = model.EncodePassage(title, text, spans);
            Assert.Equal(model.Tokenize($"{title} {text}", EmbeddingKind.Document), ids);
            Assert.NotNull(tokenSpans);
            for (var i = 0; i < spans.Count; i++)
            {
                var (start, length) = (tokenSpans![2 * i], tokenSpans[2 * i + 1]);
                var alone = model.Tokenizer.Encode(text.Substring(spans[i].Start, spans[i].Length), int.MaxValue)[1..^1];
                Assert.True(length <= alone.Length);
                Assert.Equal(alone[..length], ids[start..(start + length)]);
                placed += length == alone.Length ? 1 : 0;
            }
        }

        Assert.True(placed > 300, $"only {placed} sentences placed whole");
    }

    [Fact]
    public void Pooled_sentence_vectors_cost_no_change_to_the_chunk_vector_and_stay_close_to_the_sentence_alone()
    {
        var model = TestModel.Embedder;
        var (title, text) = Abstracts(1)[0];
        var spans = SentenceSplitter.Spans(text)!;
        var (ids, tokenSpans) = model.EncodePassage(title, text, spans);
        var output = model.EmbedBatch([ids], [tokenSpans])[0];

        var plain = model.EmbedBatch([ids])[0];
        Assert.True(TensorPrimitives.CosineSimilarity(plain, output.Vector) > 0.99999f);
        Assert.Equal(spans.Count, output.SpanVectors!.Length);

        var alone = TestModel.Embed([.. spans.Select(s => text.Substring(s.Start, s.Length))]);
        var similarities = new List<float>();
        for (var i = 0; i < spans.Count; i++)
        {
            var whole = tokenSpans![2 * i + 1] == model.Tokenizer.CountTokens(text.Substring(spans[i].Start, spans[i].Length));
            if (output.SpanVectors[i] is not { } pooled || !whole)
            {
                continue; // past the model's limit: pooled over what is left of the sentence, or not at all
            }

            Assert.Equal(1f, TensorPrimitives.Norm(pooled), 3);
            similarities.Add(TensorPrimitives.CosineSimilarity(pooled, alone[i]));
        }

        // In context, not identical to the sentence embedded alone, but the same meaning.
        Assert.True(similarities.Count >= 3);
        Assert.True(similarities.Min() > 0.6f && similarities.Average() > 0.75f, $"cosines to the sentences alone: {string.Join(", ", similarities.Select(c => c.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public void Int8_codes_keep_cosines_within_a_hundredth_and_drop_sentences_without_vectors()
    {
        var vectors = TestModel.Embed("Grains are virtual actors.", "Silos host grains.", "The cluster membership table lists silos.");
        float[]?[] withGap = [vectors[0], null, vectors[2]];
        var packed = SentenceVectorCodec.Encode([(0, 5), (6, 4), (11, 7)], withGap)!;
        Assert.Equal(2, packed.Count);
        Assert.Equal((11, 7), packed.Span(1));
        Assert.Equal(384, packed.Dimensions);

        var query = TestModel.Embedder.EmbedBatch([TestModel.Embedder.Tokenize("what hosts grains", EmbeddingKind.Query)])[0];
        Assert.Equal(TensorPrimitives.Dot(query, vectors[0]), TensorPrimitives.Dot(query, SentenceVectorCodec.Decode(packed, 0)), 2);
        Assert.Equal(TensorPrimitives.Dot(query, vectors[2]), TensorPrimitives.Dot(query, SentenceVectorCodec.Decode(packed, 1)), 2);
        Assert.Null(SentenceVectorCodec.Encode([(0, 5)], [null]));
    }

    [Fact]
    public void A_sentence_past_the_model_limit_gets_no_vector()
    {
        var model = TestModel.Embedder;
        var text = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"Sentence number {i} talks about grains and silos."));
        var spans = SentenceSplitter.Spans(text)!;
        var (ids, tokenSpans) = model.EncodePassage("Title", text, spans);
        Assert.Equal(model.MaxTokens, ids.Length);
        var output = model.EmbedBatch([ids], [tokenSpans])[0];
        Assert.NotNull(output.SpanVectors![0]);
        Assert.Null(output.SpanVectors[^1]);
        var packed = SentenceVectorCodec.Encode(spans, output.SpanVectors)!;
        Assert.InRange(packed.Count, 10, spans.Count - 1);
    }
}
