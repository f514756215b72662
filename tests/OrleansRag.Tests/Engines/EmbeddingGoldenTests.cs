using System.Numerics.Tensors;
using System.Text.Json;
using OrleansRag.Embedding;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The tokenizer and embedder against reference output made with HuggingFace's tokenizers and ONNX Runtime
/// (tests/data/embedding-golden): identical token ids for every row, cosine >= 0.9999 for every embedding.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EmbeddingGoldenTests
{
    private sealed record GoldenRow(string Text, int[] Ids, float[] Embedding);

    private static readonly Lazy<List<GoldenRow>> Rows = new(() =>
        File.ReadLines(TestPaths.Data("embedding-golden", "all-MiniLM-L6-v2.jsonl"))
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<GoldenRow>(line, JsonSerializerOptions.Web)!)
            .ToList());

    [Fact]
    public void Golden_file_has_all_rows()
    {
        Assert.Equal(252, Rows.Value.Count);
    }

    [Fact]
    public void Token_ids_match_huggingface_for_every_row()
    {
        var mismatches = new List<string>();
        foreach (var row in Rows.Value)
        {
            var ids = TestModel.Tokenizer.Encode(row.Text, 256);
            if (!ids.SequenceEqual(row.Ids))
            {
                mismatches.Add($"{Show(row.Text)}: expected [{string.Join(",", row.Ids.Take(20))}] got [{string.Join(",", ids.Take(20))}]");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} rows differ:\n" + string.Join("\n", mismatches.Take(20)));
    }

    [Fact]
    public void Embeddings_match_reference_with_cosine_at_least_0_9999()
    {
        var rows = Rows.Value;
        var failures = new List<string>();
        foreach (var batch in rows.Chunk(16))
        {
            var vectors = TestModel.Embedder.EmbedBatch(batch.Select(r => TestModel.Embedder.Tokenize(r.Text, EmbeddingKind.Document)).ToArray());
            for (var i = 0; i < batch.Length; i++)
            {
                var reference = batch[i].Embedding;
                var cosine = TensorPrimitives.CosineSimilarity(vectors[i], reference);
                if (cosine < 0.9999f)
                {
                    failures.Add($"{Show(batch[i].Text)}: cosine {cosine}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} embeddings differ:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Published_similarities_are_reproduced()
    {
        var v = TestModel.Embed("The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium.");
        Assert.Equal(0.6660, TensorPrimitives.Dot(v[0], v[1]), 3);
        Assert.Equal(0.1046, TensorPrimitives.Dot(v[0], v[2]), 3);
        Assert.Equal(0.1411, TensorPrimitives.Dot(v[1], v[2]), 3);
    }

    [Fact]
    public void Batching_and_padding_do_not_change_embeddings()
    {
        var texts = new[] { "short", "a somewhat longer sentence with several more words in it", "mid length text here" };
        var batched = TestModel.Embed(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = TestModel.Embed(texts[i])[0];
            Assert.True(TensorPrimitives.CosineSimilarity(alone, batched[i]) > 0.99999f);
            Assert.Equal(1f, TensorPrimitives.Norm(batched[i]), 4);
        }
    }

    [Theory]
    [InlineData("a$b+c=d<e>f^g|h~i`j", new[] { "a", "$", "b", "+", "c", "=", "d", "<", "e", ">", "f", "^", "g", "|", "h", "~", "i", "`", "j" })]
    [InlineData("tab\tand\nnewline", new[] { "tab", "and", "newline" })]
    [InlineData("Crème Brûlée", new[] { "creme", "brulee" })]
    [InlineData("日本語", new[] { "日", "本", "語" })]
    public void Basic_tokenizer_splits_like_bert(string text, string[] words)
    {
        Assert.Equal(words, BertTokenizer.PreTokenize(BertTokenizer.Normalize(text)));
    }

    [Fact]
    public void Long_text_is_truncated_to_256_with_sep_last()
    {
        var ids = TestModel.Tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 1000)), 256);
        Assert.Equal(256, ids.Length);
        Assert.Equal(TestModel.Tokenizer.ClsId, ids[0]);
        Assert.Equal(TestModel.Tokenizer.SepId, ids[^1]);
    }

    private static string Show(string text) => JsonSerializer.Serialize(text.Length > 60 ? text[..60] : text);
}
