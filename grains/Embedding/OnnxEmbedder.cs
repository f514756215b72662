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

    public OnnxEmbedder(string modelFolder, string name, PoolingMode pooling, string queryPrefix, string documentPrefix, int maxTokens, int intraOpThreads = 0, string? modelFile = null)
    {
        var modelPath = modelFile ?? Path.Combine(modelFolder, "model.onnx");
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

    /// <summary>The model <paramref name="options"/> describe, on <paramref name="intraOpThreads"/> ONNX Runtime threads (default: the options').</summary>
    public static OnnxEmbedder Create(EmbeddingOptions options, int? intraOpThreads = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        BundledModels.Known.TryGetValue(options.Model, out var bundled);
        var folder = string.IsNullOrWhiteSpace(options.ModelPath)
            ? BundledModels.EnsureExtracted(options.Model, options.CacheDirectory)
            : options.ModelPath;
        return new OnnxEmbedder(
            folder,
            options.Quantized == true ? options.Model + QuantizedSuffix : options.Model,
            options.Pooling ?? bundled?.Pooling ?? PoolingMode.Mean,
            options.QueryPrefix ?? bundled?.QueryPrefix ?? "",
            options.DocumentPrefix ?? bundled?.DocumentPrefix ?? "",
            options.MaxTokens,
            intraOpThreads ?? options.IntraOpThreads,
            options.Quantized == true ? EnsureQuantized(folder) : null);
    }

    /// <summary>Appended to the model's name when its int8 form runs (the vectors differ slightly).</summary>
    public const string QuantizedSuffix = "-int8";

    /// <summary>
    /// The int8 form of <paramref name="folder"/>'s model.onnx: model.int8.onnx beside it, made now when missing (a few
    /// seconds), or in the temporary folder when the model's folder is read-only.
    /// </summary>
    public static string EnsureQuantized(string folder)
    {
        var source = Path.Combine(folder, "model.onnx");
        var beside = Path.Combine(folder, "model.int8.onnx");
        if (File.Exists(beside))
        {
            return beside;
        }

        try
        {
            Onnx.OnnxQuantizer.QuantizeDynamic(source, beside);
            return beside;
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            var fallback = Path.Combine(Path.GetTempPath(), "orleansrag-models", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(folder))))[..16]);
            Directory.CreateDirectory(fallback);
            var path = Path.Combine(fallback, "model.int8.onnx");
            if (!File.Exists(path))
            {
                Onnx.OnnxQuantizer.QuantizeDynamic(source, path);
            }

            return path;
        }
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

    /// <summary>
    /// Token ids of a passage embedded as "<paramref name="heading"/> <paramref name="text"/>" (exactly the ids
    /// <see cref="Tokenize"/> gives that string), and the token span of each of the text's
    /// <paramref name="sentences"/> (character spans, in order, separated by whitespace only) as (start, length)
    /// pairs. A sentence cut off by the model's limit gets the tokens left of it, or length 0 when none are;
    /// spans are null when a sentence's word pieces do not line up with the passage's (a text whose sentences
    /// are not whitespace-separated).
    /// </summary>
    public (int[] Ids, int[]? TokenSpans) EncodePassage(string heading, string text, IReadOnlyList<(int Start, int Length)> sentences)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sentences);
        var lead = heading.Length == 0 ? "" : heading + " ";
        var ids = Tokenize(lead + text, EmbeddingKind.Document);
        if (sentences.Count == 0)
        {
            return (ids, []);
        }

        var spans = new int[sentences.Count * 2];
        var cursor = 1 + Tokenizer.CountTokens(DocumentPrefix + lead); // after [CLS], the prefix and the heading
        var limit = ids.Length - 1; // [SEP]
        for (var i = 0; i < sentences.Count; i++)
        {
            var (start, length) = sentences[i];
            var pieces = Tokenizer.Encode(text.Substring(start, length), int.MaxValue);
            var count = pieces.Length - 2; // without [CLS] and [SEP]
            var visible = Math.Clamp(limit - cursor, 0, count);
            if (!ids.AsSpan(Math.Min(cursor, limit), visible).SequenceEqual(pieces.AsSpan(1, visible)))
            {
                return (ids, null);
            }

            spans[2 * i] = Math.Min(cursor, limit);
            spans[2 * i + 1] = visible;
            cursor += count;
        }

        return (ids, spans);
    }

    /// <summary>Runs one padded batch and returns a unit-length vector per sequence.</summary>
    public float[][] EmbedBatch(IReadOnlyList<int[]> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return [.. EmbedBatch(batch, null).Select(output => output.Vector)];
    }

    /// <summary>
    /// Runs one padded batch: a unit-length vector per sequence and, for each sequence with token spans, a
    /// unit-length vector per span (the mean of the span's token states; null for an empty span). The spans
    /// cost no second model run: they pool the same hidden states.
    /// </summary>
    public EmbeddingOutput[] EmbedBatch(IReadOnlyList<int[]> batch, IReadOnlyList<int[]?>? tokenSpans)
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

        var result = new EmbeddingOutput[rows];
        for (var r = 0; r < rows; r++)
        {
            var rowStart = r * columns * Dimensions;
            var vector = Pooling == PoolingMode.Cls
                ? Normalized(hidden.Slice(rowStart, Dimensions).ToArray())
                : MeanPool(hidden, rowStart, 0, batch[r].Length)!;
            float[]?[]? spanVectors = null;
            if (tokenSpans?[r] is { } spans)
            {
                spanVectors = new float[spans.Length / 2][];
                for (var s = 0; s < spanVectors.Length; s++)
                {
                    spanVectors[s] = MeanPool(hidden, rowStart, spans[2 * s], spans[2 * s + 1]);
                }
            }

            result[r] = new EmbeddingOutput(vector, spanVectors);
        }

        return result;
    }

    /// <summary>The unit-length mean of <paramref name="length"/> token states from <paramref name="first"/>; null when empty.</summary>
    private float[]? MeanPool(ReadOnlySpan<float> hidden, int rowStart, int first, int length)
    {
        if (length <= 0)
        {
            return null;
        }

        var vector = new float[Dimensions];
        for (var t = first; t < first + length; t++)
        {
            TensorPrimitives.Add(vector, hidden.Slice(rowStart + t * Dimensions, Dimensions), vector);
        }

        return Normalized(vector);
    }

    private static float[] Normalized(float[] vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        return vector;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>One sequence's unit-length embedding and, when asked, one per token span (null for an empty span).</summary>
public readonly record struct EmbeddingOutput(float[] Vector, float[]?[]? SpanVectors);
