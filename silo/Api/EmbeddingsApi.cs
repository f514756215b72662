using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansRag.Embedding;

namespace OrleansRag.Silo.Api;

/// <summary>
/// POST /v1/embeddings, shaped like OpenAI's embeddings API so any OpenAI client can use the cluster as an
/// embedding service. Supports string or string[] input and float or base64 encoding; <c>model</c> picks one of the
/// models the cluster serves (default: the one new collections get), so texts can be embedded as a collection's are.
/// </summary>
public static class EmbeddingsApi
{
    public const int MaxInputs = 2048;

    public sealed record EmbeddingsRequest(
        JsonElement Input,
        string? Model,
        [property: JsonPropertyName("encoding_format")] string? EncodingFormat,
        int? Dimensions,
        string? User);

    public sealed record EmbeddingData([property: JsonPropertyName("object")] string ObjectType, int Index, object Embedding);

    public sealed record EmbeddingUsage(
        [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
        [property: JsonPropertyName("total_tokens")] int TotalTokens);

    public sealed record EmbeddingsResponse([property: JsonPropertyName("object")] string ObjectType, IReadOnlyList<EmbeddingData> Data, string Model, EmbeddingUsage Usage);

    public static RouteGroupBuilder MapEmbeddingsApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapPost("/embeddings", CreateAsync).WithTags("Embeddings").WithName("CreateEmbeddings")
            .WithSummary("OpenAI-compatible embeddings from one of the silo's models")
            .DescribesBody<EmbeddingsRequest>("application/json").Produces<EmbeddingsResponse>().ProducesProblems(400, 413, 415);
        return v1;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, IGrainFactory grains, EmbeddingModels models, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<EmbeddingsRequest>(request, 16 * 1024 * 1024);
        if (problem is not null)
        {
            return problem;
        }

        if (!string.IsNullOrEmpty(body!.Model) && !models.IsKnown(body.Model))
        {
            return Problems.BadRequest($"model '{body.Model}' is not served here; this cluster serves {string.Join(", ", models.Names.Select(n => $"'{n}'"))}.");
        }

        var model = await models.DescribeAsync(string.IsNullOrEmpty(body.Model) ? models.DefaultModel : body.Model);

        var format = body.EncodingFormat ?? "float";
        if (format is not ("float" or "base64"))
        {
            return Problems.BadRequest($"encoding_format must be 'float' or 'base64'; it was '{format}'.");
        }

        if (body.Dimensions is { } dimensions && dimensions != model.Dimensions)
        {
            return Problems.BadRequest($"dimensions must be {model.Dimensions} for '{model.Name}' (it cannot be shortened); it was {dimensions}.");
        }

        var (inputs, inputProblem) = ReadInputs(body.Input);
        if (inputProblem is not null)
        {
            return Problems.BadRequest(inputProblem);
        }

        var batch = await grains.GetGrain<IEmbeddingGrain>(0).EmbedAsync(inputs!, EmbeddingKind.Document, model.Name, cancellationToken);
        var data = batch.Vectors.Select((vector, index) => new EmbeddingData(
            "embedding", index, format == "base64" ? Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan())) : vector)).ToList();
        var tokens = batch.TokenCounts.Sum();
        return Results.Ok(new EmbeddingsResponse("list", data, model.Name, new EmbeddingUsage(tokens, tokens)));
    }

    private static (string[]? Inputs, string? Problem) ReadInputs(JsonElement input)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                var single = input.GetString()!;
                return single.Length == 0 ? (null, "input must not be an empty string.") : ([single], null);
            case JsonValueKind.Array:
                var count = input.GetArrayLength();
                if (count is 0 or > MaxInputs)
                {
                    return (null, $"input must hold 1 to {MaxInputs} strings; it held {count}.");
                }

                var texts = new string[count];
                var i = 0;
                foreach (var item in input.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
                    {
                        return (null, $"input[{i}] must be a non-empty string (token arrays are not supported).");
                    }

                    texts[i++] = text;
                }

                return (texts, null);
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return (null, "input is required.");
            default:
                return (null, "input must be a string or an array of strings.");
        }
    }
}
