using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Generation.Rerank;

/// <summary>Which reranker a cluster uses.</summary>
public enum RerankKind
{
    /// <summary>The cross-encoder when <see cref="RerankOptions.ModelPath"/> is set, else the language model when one is configured, else none.</summary>
    Auto,

    /// <summary>The configured language model, listwise: it is shown the candidates and names them best first.</summary>
    LanguageModel,

    /// <summary>A BERT-family cross-encoder ONNX model scoring each (question, passage) pair.</summary>
    CrossEncoder,
}

/// <summary>
/// Configuration section "Rerank": a stage between retrieval and generation that reorders the fused candidates by how
/// well each answers the question. Off unless a collection (<c>rerank</c> at creation), a request (<c>rerank: true</c>)
/// or <see cref="Enabled"/> turns it on.
/// </summary>
public sealed class RerankOptions : IValidatableObject
{
    public const string SectionName = "Rerank";

    /// <summary>Whether asks and searches are reranked when neither the request nor the collection says.</summary>
    public bool Enabled { get; set; }

    [EnumDataType(typeof(RerankKind))]
    public RerankKind Kind { get; set; } = RerankKind.Auto;

    /// <summary>How many fused candidates are retrieved and reranked (the best topK of them are kept).</summary>
    [Range(2, 100)]
    public int Candidates { get; set; } = 20;

    /// <summary>How long a rerank may take; past it (or on any failure) the fused order stands and the response says degraded.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cross-encoder: an ONNX file of a BERT-family model with inputs input_ids, attention_mask (and token_type_ids) and one relevance logit per pair.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The cross-encoder's WordPiece vocabulary (vocab.txt); empty: vocab.txt beside the model.</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>Word pieces per (question, passage) pair; the passage is cut to fit.</summary>
    [Range(16, 512)]
    public int MaxTokens { get; set; } = 512;

    /// <summary>Pairs scored per ONNX run.</summary>
    [Range(1, 256)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Characters of each passage shown to the language model (the prompt stays bounded).</summary>
    [Range(100, 10_000)]
    public int PassageCharacters { get; set; } = 700;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Rerank:Timeout must be positive.", [nameof(Timeout)]);
        }

        if (Kind == RerankKind.CrossEncoder && string.IsNullOrWhiteSpace(ModelPath))
        {
            yield return new ValidationResult("Rerank:Kind CrossEncoder needs Rerank:ModelPath (an ONNX cross-encoder, with vocab.txt beside it or Rerank:VocabularyPath).", [nameof(ModelPath)]);
        }

        if (!string.IsNullOrWhiteSpace(ModelPath) && !File.Exists(ModelPath))
        {
            yield return new ValidationResult($"Rerank:ModelPath '{ModelPath}' does not exist.", [nameof(ModelPath)]);
        }
        else if (!string.IsNullOrWhiteSpace(ModelPath) && !File.Exists(Vocabulary))
        {
            yield return new ValidationResult($"The cross-encoder's vocabulary {Vocabulary} does not exist (put vocab.txt beside Rerank:ModelPath, or set Rerank:VocabularyPath).", [nameof(VocabularyPath)]);
        }
    }

    /// <summary>The cross-encoder's vocabulary file: <see cref="VocabularyPath"/>, else vocab.txt beside the model.</summary>
    public string Vocabulary => string.IsNullOrWhiteSpace(VocabularyPath)
        ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ModelPath ?? "."))!, "vocab.txt")
        : VocabularyPath;

    /// <summary>Whether a reranker can be had with <paramref name="languageModel"/> configured or not.</summary>
    public bool HasReranker(bool languageModel) => Kind switch
    {
        RerankKind.CrossEncoder => true,
        RerankKind.LanguageModel => languageModel,
        _ => !string.IsNullOrWhiteSpace(ModelPath) || languageModel,
    };
}

/// <summary>Rerank:Enabled or Kind LanguageModel without any reranker to use is a configuration error, found at start.</summary>
internal sealed class RerankNeedsAReranker(Microsoft.Extensions.Options.IOptions<GenerationOptions> generation) : Microsoft.Extensions.Options.IValidateOptions<RerankOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RerankOptions options) =>
        (options.Enabled || options.Kind == RerankKind.LanguageModel) && !options.HasReranker(generation.Value.UsesLanguageModel)
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                "Rerank:Enabled (or Rerank:Kind LanguageModel) needs a reranker: Rerank:ModelPath for a cross-encoder, or a language model (Generation:Provider).")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
