using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace OrleansRag.Cli.Commands;

/// <summary>Options every command takes.</summary>
public class RagSettings : CommandSettings
{
    [CommandOption("-u|--url <URL>")]
    [Description("Base URL of the OrleansRag HTTP API (default: $ORAG_URL or http://127.0.0.1:5000).")]
    public string? Url { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key (default: $ORAG_API_KEY). Prefer the environment variable: arguments show up in process lists.")]
    public string? ApiKey { get; init; }

    [CommandOption("-c|--collection <COLLECTION>")]
    [Description("Collection to use.")]
    public string? Collection { get; init; }

    public RagHttpClient CreateClient()
    {
        var url = Url ?? Environment.GetEnvironmentVariable("ORAG_URL") ?? "http://127.0.0.1:5000";
        return new RagHttpClient(new Uri(url.EndsWith('/') ? url : url + "/"), ApiKey ?? Environment.GetEnvironmentVariable("ORAG_API_KEY"));
    }

    public override ValidationResult Validate()
    {
        var url = Url ?? Environment.GetEnvironmentVariable("ORAG_URL");
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")))
        {
            return ValidationResult.Error($"--url '{url}' is not an http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(Collection))
        {
            return ValidationResult.Error("--collection is required.");
        }

        return RagValidation.CheckId("--collection", Collection) is { } problem
            ? ValidationResult.Error(problem)
            : ValidationResult.Success();
    }
}

/// <summary>How sources are ranked and filtered: what ask, search and chat take.</summary>
public class RankingSettings : RagSettings
{
    [CommandOption("-k|--top-k <K>")]
    [Description("How many chunks to retrieve (1-100).")]
    [DefaultValue(RagConstants.DefaultTopK)]
    public int TopK { get; init; } = RagConstants.DefaultTopK;

    [CommandOption("-m|--mode <MODE>")]
    [Description("Ranking: dense, bm25 or hybrid (search default dense, ask and chat default hybrid).")]
    public string? Mode { get; init; }

    public SearchMode? ParsedMode => Mode is null ? null : Enum.Parse<SearchMode>(Mode, ignoreCase: true);

    [CommandOption("--rerank")]
    [Description("Rerank the candidates with the cluster's reranker (a cross-encoder or the language model), whatever the collection says.")]
    public bool Rerank { get; init; }

    [CommandOption("--no-rerank")]
    [Description("Do not rerank, whatever the collection says.")]
    public bool NoRerank { get; init; }

    /// <summary>true, false, or null for the collection's own setting.</summary>
    public bool? ParsedRerank => Rerank ? true : NoRerank ? false : null;

    [CommandOption("-f|--filter <JSON>")]
    [Description("Metadata filter, e.g. '{\"field\":\"team\",\"eq\":\"core\"}' (eq, in, gt, gte, lt, lte, and, or, not).")]
    public string? Filter { get; init; }

    public System.Text.Json.JsonElement? FilterJson => Filter is null ? null : System.Text.Json.JsonDocument.Parse(Filter).RootElement;

    public override ValidationResult Validate()
    {
        if (Mode is not null && !Enum.TryParse<SearchMode>(Mode, ignoreCase: true, out _))
        {
            return ValidationResult.Error($"--mode must be dense, bm25 or hybrid; it was '{Mode}'.");
        }

        if (Filter is not null)
        {
            try
            {
                if (MetadataFilter.Parse(System.Text.Json.JsonDocument.Parse(Filter).RootElement).Problem is { } filterProblem)
                {
                    return ValidationResult.Error($"--filter: {filterProblem}");
                }
            }
            catch (System.Text.Json.JsonException exception)
            {
                return ValidationResult.Error($"--filter is not JSON: {exception.Message}");
            }
        }

        return RagValidation.CheckTopK(TopK) is { } problem ? ValidationResult.Error(problem) : base.Validate();
    }
}

public class QuerySettings : RankingSettings
{
    [CommandArgument(0, "<TEXT>")]
    [Description("The question or query.")]
    public string Text { get; init; } = "";

    [CommandOption("--per-document")]
    [Description("Search: one result per document (its best chunk).")]
    public bool PerDocument { get; init; }

    public override ValidationResult Validate() =>
        RagValidation.CheckQuery("the question", Text) is { } problem ? ValidationResult.Error(problem) : base.Validate();
}
