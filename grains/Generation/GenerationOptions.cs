using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Generation;

/// <summary>Configuration section "Generation".</summary>
public sealed class GenerationOptions
{
    public const string SectionName = "Generation";

    /// <summary>Only "Extractive" for now (offline, deterministic).</summary>
    [Required]
    [AllowedValues("Extractive")]
    public string Provider { get; set; } = "Extractive";

    /// <summary>Most sentences an extractive answer quotes.</summary>
    [Range(1, 20)]
    public int MaxSentences { get; set; } = 3;

    /// <summary>Lowest support score (cosine to the question plus term overlap) a sentence needs to be quoted.</summary>
    [Range(-1.0, 2.0)]
    public double MinScore { get; set; } = 0.45;
}
