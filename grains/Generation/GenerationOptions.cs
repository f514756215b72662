using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Generation;

/// <summary>Configuration section "Generation".</summary>
public sealed class GenerationOptions : IValidatableObject
{
    public const string SectionName = "Generation";

    /// <summary>
    /// "Extractive" (offline, deterministic), "OpenAI" (any OpenAI-compatible chat-completions endpoint) or
    /// "AzureOpenAI" (an Azure OpenAI resource; Model is the deployment name).
    /// </summary>
    [Required]
    [AllowedValues("Extractive", "OpenAI", "AzureOpenAI")]
    public string Provider { get; set; } = "Extractive";

    /// <summary>Most sentences an extractive answer quotes.</summary>
    [Range(1, 20)]
    public int MaxSentences { get; set; } = 3;

    /// <summary>Lowest support score (cosine to the question plus term overlap) a sentence needs to be quoted.</summary>
    [Range(-1.0, 2.0)]
    public double MinScore { get; set; } = 0.45;

    /// <summary>
    /// Base URL: of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, llama.cpp, LM Studio),
    /// or of the Azure OpenAI resource, e.g. https://my-resource.openai.azure.com/.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>Model (deployment) name.</summary>
    public string? Model { get; set; }

    /// <summary>API key; may be empty for local servers. Never logged.</summary>
    public string? ApiKey { get; set; }

    [Range(0.0, 2.0)]
    public double Temperature { get; set; } = 0.1;

    [Range(1, 32_000)]
    public int MaxOutputTokens { get; set; } = 512;

    /// <summary>Timeout of one attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt (429, 5xx, timeouts), with exponential backoff and jitter, honouring Retry-After.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential backoff.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest Retry-After honoured; a longer one fails the attempt over to the fallback.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed calls within <see cref="CircuitSamplingDuration"/> that open the circuit.</summary>
    [Range(2, 1000)]
    public int CircuitFailureThreshold { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the circuit stays open before one trial call.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Word pieces of sources that fit in the prompt (weakest sources are dropped first).</summary>
    [Range(64, 1_000_000)]
    public int PromptTokenBudget { get; set; } = 3000;

    public bool UsesLanguageModel => Provider != "Extractive";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!UsesLanguageModel)
        {
            yield break;
        }

        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Generation:Endpoint must be an http(s) URL when Generation:Provider is {Provider}.", [nameof(Endpoint)]);
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult($"Generation:Model is required when Generation:Provider is {Provider}.", [nameof(Model)]);
        }
    }
}
