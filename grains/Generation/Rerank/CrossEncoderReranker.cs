using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OrleansRag.Embedding;

namespace OrleansRag.Generation.Rerank;

/// <summary>
/// A BERT-family cross-encoder (for example cross-encoder/ms-marco-MiniLM-L-6-v2 exported to ONNX) scoring each
/// (question, passage) pair: "[CLS] question [SEP] title: passage [SEP]" with segment ids 0 and 1, cut to
/// <see cref="RerankOptions.MaxTokens"/> (the question keeps at most a quarter), in batches of
/// <see cref="RerankOptions.BatchSize"/>; the relevance is the model's last logit for the pair. Runs off the caller's
/// thread, one batch at a time per silo, with the model's own WordPiece vocabulary.
/// </summary>
public sealed class CrossEncoderReranker : IReranker, IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly RerankOptions _options;
    private readonly bool _segments;
    private readonly string _output;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public CrossEncoderReranker(RerankOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var model = options.ModelPath ?? throw new ArgumentException("Rerank:ModelPath is required for the cross-encoder.", nameof(options));
        var vocabulary = options.Vocabulary;
        if (!File.Exists(vocabulary))
        {
            throw new FileNotFoundException($"The cross-encoder's vocabulary was not found at {vocabulary} (put vocab.txt beside the model, or set Rerank:VocabularyPath).", vocabulary);
        }

        _tokenizer = BertTokenizer.FromFile(vocabulary);
        using var session = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = Environment.ProcessorCount };
        _session = new InferenceSession(model, session);
        foreach (var required in new[] { "input_ids", "attention_mask" })
        {
            if (!_session.InputMetadata.ContainsKey(required))
            {
                throw new InvalidOperationException($"The cross-encoder {model} has no input '{required}' (it has {string.Join(", ", _session.InputMetadata.Keys)}): not a BERT-family model.");
            }
        }

        _segments = _session.InputMetadata.ContainsKey("token_type_ids");
        _output = _session.OutputMetadata.Keys.First();
    }

    public string Name => "cross-encoder";

    public async Task<int[]> OrderAsync(string question, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        var scores = await ScoreAsync(question, [.. hits.Select(h => string.IsNullOrWhiteSpace(h.Title) ? h.Text : $"{h.Title}: {h.Text}")], cancellationToken);
        return [.. Enumerable.Range(0, hits.Count).OrderByDescending(i => scores[i]).ThenBy(i => i)];
    }

    /// <summary>The relevance of each passage to the question (higher is better).</summary>
    public async Task<float[]> ScoreAsync(string question, IReadOnlyList<string> passages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(passages);
        var pairs = passages.Select(p => Pair(question, p)).ToList();
        var scores = new float[pairs.Count];
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var start = 0; start < pairs.Count; start += _options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = pairs.Skip(start).Take(_options.BatchSize).ToList();
                var result = await Task.Run(() => Run(batch), cancellationToken);
                result.CopyTo(scores, start);
            }
        }
        finally
        {
            _gate.Release();
        }

        return scores;
    }

    /// <summary>"[CLS] question [SEP] passage [SEP]" and the segment each id belongs to.</summary>
    private (int[] Ids, int[] Segments) Pair(string question, string passage)
    {
        var first = _tokenizer.Encode(question, Math.Max(8, _options.MaxTokens / 4));
        var second = _tokenizer.Encode(passage, Math.Max(3, _options.MaxTokens - first.Length + 1))[1..]; // without its [CLS]
        return ([.. first, .. second], [.. Enumerable.Repeat(0, first.Length), .. Enumerable.Repeat(1, second.Length)]);
    }

    private float[] Run(List<(int[] Ids, int[] Segments)> batch)
    {
        var length = batch.Max(p => p.Ids.Length);
        var ids = new DenseTensor<long>([batch.Count, length]);
        var mask = new DenseTensor<long>([batch.Count, length]);
        var segments = new DenseTensor<long>([batch.Count, length]);
        for (var row = 0; row < batch.Count; row++)
        {
            for (var column = 0; column < length; column++)
            {
                var present = column < batch[row].Ids.Length;
                ids[row, column] = present ? batch[row].Ids[column] : _tokenizer.PadId;
                mask[row, column] = present ? 1 : 0;
                segments[row, column] = present ? batch[row].Segments[column] : 0;
            }
        }

        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("input_ids", ids), NamedOnnxValue.CreateFromTensor("attention_mask", mask) };
        if (_segments)
        {
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", segments));
        }

        using var results = _session.Run(inputs, [_output]);
        var logits = results[0].AsTensor<float>();
        var perRow = (int)(logits.Length / batch.Count);
        var flat = logits.ToArray();
        return [.. Enumerable.Range(0, batch.Count).Select(row => flat[(row * perRow) + perRow - 1])]; // one logit, or the "relevant" one of two
    }

    public void Dispose()
    {
        _session.Dispose();
        _gate.Dispose();
    }
}
