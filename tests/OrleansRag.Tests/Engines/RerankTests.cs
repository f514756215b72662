using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansRag.Generation;
using OrleansRag.Generation.Rerank;
using OrleansRag.Tests.Onnx;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// The rerank stage's rules and the cross-encoder's plumbing, with a tiny ONNX cross-encoder written by the test: its
/// "relevance" is how often one word piece occurs in the passage's segment (token_type_ids 1) of each pair, so the
/// expected order is known, and the question's own pieces (segment 0) must not count.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RerankTests : IDisposable
{
    private static readonly string[] Vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "tide", "is", "high", "boat", "harbour", "when", "rises", "a"];

    private readonly string _folder = Directory.CreateTempSubdirectory("orleansrag-rerank-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static SearchHit Hit(string id, string text) => new(id, 0, $"{id}#0", id, text, 1.0f);

    /// <summary>A cross-encoder graph: logits[n, 1] = Σ over the pair of (input_ids == target) · token_type_ids · attention_mask.</summary>
    private string WriteCrossEncoder(long target, bool segments = true)
    {
        static ValueInfoProto Value(string name, int type, params object[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (var dim in dims)
            {
                shape.Dim.Add(dim is string param ? new TensorShapeProto.Types.Dimension { DimParam = param } : new TensorShapeProto.Types.Dimension { DimValue = (long)(int)dim });
            }

            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = shape } } };
        }

        static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            return node;
        }

        const int Float = 1, Int64 = 7;
        var graph = new GraphProto { Name = "tiny-cross-encoder" };
        graph.Input.Add(Value("input_ids", Int64, "batch", "sequence"));
        graph.Input.Add(Value("attention_mask", Int64, "batch", "sequence"));
        if (segments)
        {
            graph.Input.Add(Value("token_type_ids", Int64, "batch", "sequence"));
        }

        graph.Output.Add(Value("logits", Float, "batch", 1));
        var targetTensor = new TensorProto { Name = "target", DataType = Int64 };
        targetTensor.Int64Data.Add(target);
        var axes = new TensorProto { Name = "axes", DataType = Int64 };
        axes.Dims.Add(1);
        axes.Int64Data.Add(1);
        graph.Initializer.Add(targetTensor);
        graph.Initializer.Add(axes);
        AttributeProto ToFloat() => new() { Name = "to", I = Float, Type = 2 };
        graph.Node.Add(Node("Equal", ["input_ids", "target"], "hits"));
        graph.Node.Add(Node("Cast", ["hits"], "hits_f", ToFloat()));
        graph.Node.Add(Node("Cast", ["attention_mask"], "mask_f", ToFloat()));
        graph.Node.Add(Node("Mul", ["hits_f", "mask_f"], "counted"));
        var last = "counted";
        if (segments)
        {
            graph.Node.Add(Node("Cast", ["token_type_ids"], "segment_f", ToFloat()));
            graph.Node.Add(Node("Mul", ["counted", "segment_f"], "in_passage"));
            last = "in_passage";
        }

        graph.Node.Add(Node("ReduceSum", [last, "axes"], "logits", new AttributeProto { Name = "keepdims", I = 1, Type = 2 }));
        var model = new ModelProto { IrVersion = 8, ProducerName = "orleansrag-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var path = Path.Combine(_folder, "cross-encoder.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        File.WriteAllLines(Path.Combine(_folder, "vocab.txt"), Vocabulary);
        return path;
    }

    [Fact]
    public async Task A_cross_encoder_scores_each_question_passage_pair_in_batches_with_segments_and_orders_by_score()
    {
        var options = new RerankOptions { ModelPath = WriteCrossEncoder(Array.IndexOf(Vocabulary, "tide")), BatchSize = 2, MaxTokens = 64 };
        using var reranker = new CrossEncoderReranker(options);
        SearchHit[] hits =
        [
            Hit("boats", "The boat is in the harbour."),
            Hit("spring", "The tide rises; a high tide, a high tide."),
            Hit("neap", "The tide is high."),
            Hit("unknown", "Words the vocabulary has never seen."),
        ];

        // The question says "tide" twice: it is segment 0, so it adds nothing; five pairs make three batches of at most two.
        var scores = await reranker.ScoreAsync("When is the tide high, the tide?", [.. hits.Select(h => h.Text), "tide tide tide"], CancellationToken.None);
        Assert.Equal([0f, 3f, 1f, 0f, 3f], scores);
        var order = await reranker.OrderAsync("When is the tide high?", hits, CancellationToken.None);
        Assert.Equal([1, 2, 0, 3], order);

        // Long passages are cut to MaxTokens: the pair never exceeds it.
        var cut = await reranker.ScoreAsync("tide", [string.Join(' ', Enumerable.Repeat("tide", 500))], CancellationToken.None);
        Assert.True(cut[0] is > 0 and < 64, $"{cut[0]}");
    }

    [Fact]
    public void A_model_that_is_not_a_bert_cross_encoder_or_has_no_vocabulary_is_refused_with_the_reason()
    {
        var model = WriteCrossEncoder(6);
        File.Delete(Path.Combine(_folder, "vocab.txt"));
        Assert.Contains("vocab.txt", Assert.Throws<FileNotFoundException>(() => new CrossEncoderReranker(new RerankOptions { ModelPath = model })).Message, StringComparison.Ordinal);
        var validation = new RerankOptions { Kind = RerankKind.CrossEncoder }.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(new object())).Single();
        Assert.Contains("Rerank:ModelPath", validation.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_language_model_ranking_is_read_leniently_and_fails_only_when_it_names_nothing()
    {
        Assert.Equal([2, 0, 1, 3], LanguageModelReranker.Parse("3, 1, 2", 4));
        Assert.Equal([3, 1, 0, 2], LanguageModelReranker.Parse("Ranking: [4] > [2] > [4] > [9]", 4));
        Assert.Equal([2, 0, 1], LanguageModelReranker.Parse("1. Passage 3 (the timetable)\n2. Passage 1", 3)); // list numbers are not passage numbers
        Assert.Contains("named no passage", Assert.Throws<InvalidOperationException>(() => LanguageModelReranker.Parse("I cannot tell.", 3)).Message, StringComparison.Ordinal);
        var prompt = LanguageModelReranker.Prompt("Why?", [Hit("a", new string('x', 2000)), Hit("b", "short")], 100);
        var user = prompt[1].Text;
        Assert.Contains("[1] a: ", user, StringComparison.Ordinal);
        Assert.Contains("[2] b: short", user, StringComparison.Ordinal);
        Assert.True(user.Length < 400, user);
    }

    [Fact]
    public async Task Reranking_keeps_the_best_top_k_and_falls_back_to_the_fused_order_saying_why()
    {
        var model = WriteCrossEncoder(Array.IndexOf(Vocabulary, "tide"));
        using var services = new ServiceCollection().BuildServiceProvider();
        Reranking Make(RerankOptions options, string provider = "Extractive") =>
            new(Options.Create(options), Options.Create(new GenerationOptions { Provider = provider }), services, NullLogger<Reranking>.Instance);

        SearchHit[] fused = [Hit("boats", "The boat."), Hit("neap", "The tide."), Hit("spring", "The tide, the tide.")];
        using (var crossEncoder = Make(new RerankOptions { ModelPath = model }))
        {
            var result = await crossEncoder.RerankAsync("tide", fused, 2, CancellationToken.None);
            Assert.True(result.Reranked);
            Assert.Null(result.DegradedReason);
            Assert.Equal(["spring", "neap"], result.Hits.Select(h => h.DocumentId));
            Assert.Equal(20, crossEncoder.Candidates(5));
            Assert.Equal(30, crossEncoder.Candidates(30));
            Assert.True(crossEncoder.Wanted(null, true));
            Assert.False(crossEncoder.Wanted(false, true));
            Assert.False(crossEncoder.Wanted(null, null));
        }

        using var none = Make(new RerankOptions { Enabled = true });
        Assert.True(none.Wanted(null, null));
        var fallback = await none.RerankAsync("tide", fused, 2, CancellationToken.None);
        Assert.False(fallback.Reranked);
        Assert.Equal(["boats", "neap"], fallback.Hits.Select(h => h.DocumentId));
        Assert.Contains("no reranker is configured", fallback.DegradedReason, StringComparison.Ordinal);
    }
}
