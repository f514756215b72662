using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace OrleansRag.Embedding;

/// <summary>
/// A sentence-transformer on ONNX Runtime: tokenizer + one inference session + pooling + L2 normalisation.
/// Thread-safe; <see cref="EmbeddingService"/> feeds it length-bucketed batches.
/// </summary>
public sealed class OnnxEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _hasTokenTypes;
    private readonly string _outputName;

    public OnnxEmbedder(string modelFolder, string name, PoolingMode pooling, string queryPrefix, string documentPrefix, int maxTokens, int intraOpThreads = 0)
    {
        var modelPath = Path.Combine(modelFolder, "model.onnx");
        var vocabPath = Path.Combine(modelFolder, "vocab.txt");
        if (!File.Exists(modelPath) || !File.Exists(vocabPath))
        {
            throw new FileNotFoundException($"Embedding:ModelPath '{modelFolder}' must contain model.onnx and vocab.txt.", modelPath);
        }

        Name = name;
        Pooling = pooling;
        QueryPrefix = queryPrefix;
        DocumentPrefix = documentPrefix;
        MaxTokens = maxTokens;
        Tokenizer = BertTokenizer.FromFile(vocabPath);

        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads > 0 ? intraOpThreads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(modelPath, options);
        _hasTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        _outputName = _session.OutputMetadata.ContainsKey("last_hidden_state")
            ? "last_hidden_state"
            : _session.OutputNames[0];
        Dimensions = (int)_session.OutputMetadata[_outputName].Dimensions[^1];
    }

    public static OnnxEmbedder Create(EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BundledModels.Known.TryGetValue(options.Model, out var bundled);
        var folder = string.IsNullOrWhiteSpace(options.ModelPath)
            ? BundledModels.EnsureExtracted(options.Model, options.CacheDirectory)
            : options.ModelPath;
        return new OnnxEmbedder(
            folder,
            options.Model,
            options.Pooling ?? bundled?.Pooling ?? PoolingMode.Mean,
            options.QueryPrefix ?? bundled?.QueryPrefix ?? "",
            options.DocumentPrefix ?? bundled?.DocumentPrefix ?? "",
            options.MaxTokens,
            options.IntraOpThreads);
    }

    public string Name { get; }

    public PoolingMode Pooling { get; }

    public string QueryPrefix { get; }

    public string DocumentPrefix { get; }

    public int MaxTokens { get; }

    public int Dimensions { get; }

    public BertTokenizer Tokenizer { get; }

    /// <summary>Token ids for a text, with the model's prefix for <paramref name="kind"/>.</summary>
    public int[] Tokenize(string text, EmbeddingKind kind)
    {
        var prefix = kind == EmbeddingKind.Query ? QueryPrefix : DocumentPrefix;
        return Tokenizer.Encode(prefix.Length == 0 ? text : prefix + text, MaxTokens);
    }

    /// <summary>Runs one padded batch and returns a unit-length vector per sequence.</summary>
    public float[][] EmbedBatch(IReadOnlyList<int[]> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return [];
        }

        var rows = batch.Count;
        var columns = batch.Max(ids => ids.Length);
        var inputIds = new long[rows * columns];
        var mask = new long[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var ids = batch[r];
            for (var c = 0; c < ids.Length; c++)
            {
                inputIds[r * columns + c] = ids[c];
                mask[r * columns + c] = 1;
            }
        }

        long[] shape = [rows, columns];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[rows * columns], shape) : null;
        var names = _hasTokenTypes ? new[] { "input_ids", "attention_mask", "token_type_ids" } : ["input_ids", "attention_mask"];
        var values = _hasTokenTypes ? new[] { idsValue, maskValue, typesValue! } : [idsValue, maskValue];

        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, names, values, [_outputName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            var vector = new float[Dimensions];
            var length = batch[r].Length;
            var rowStart = r * columns * Dimensions;
            if (Pooling == PoolingMode.Cls)
            {
                hidden.Slice(rowStart, Dimensions).CopyTo(vector);
            }
            else
            {
                for (var t = 0; t < length; t++)
                {
                    TensorPrimitives.Add(vector, hidden.Slice(rowStart + t * Dimensions, Dimensions), vector);
                }

                TensorPrimitives.Divide(vector, length, vector);
            }

            var norm = TensorPrimitives.Norm(vector);
            if (norm > 0)
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }

            result[r] = vector;
        }

        return result;
    }

    public void Dispose() => _session.Dispose();
}
