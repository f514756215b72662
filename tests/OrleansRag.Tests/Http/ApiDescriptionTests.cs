using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace OrleansRag.Tests.Http;

/// <summary>
/// The API's description on the real host: a valid OpenAPI 3.1 document that names every mapped /v1 route with its
/// methods, bodies, problem responses and the API-key schemes; the interactive reference served without the
/// internet; and the tenant's collection listing.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class ApiDescriptionTests(RagHostFixture host)
{
    [Fact]
    public async Task The_openapi_document_is_valid_3_1_and_describes_every_mapped_v1_route()
    {
        var json = await host.Http.GetStringAsync("openapi/v1.json");
        var (document, diagnostic) = OpenApiDocument.Parse(json, "json");
        Assert.NotNull(document);
        Assert.True(diagnostic!.Errors.Count == 0, string.Join("; ", diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);

        var mapped = ((IEndpointRouteBuilder)host.App).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (Path: Normalize(e.RoutePattern.RawText!), Method: method)))
            .ToList();
        Assert.True(mapped.Count >= 20, $"only {mapped.Count} routes found");
        var described = document!.Paths.SelectMany(path => path.Value.Operations!.Keys.Select(method => (Path: path.Key, Method: method.Method.ToUpperInvariant()))).ToHashSet();
        Assert.Empty(mapped.Where(route => !described.Contains(route)).Select(route => $"{route.Method} {route.Path}"));
        Assert.Empty(described.Where(route => !mapped.Contains(route)).Select(route => $"{route.Method} {route.Path}"));

        // Bodies, answers and problems of the main calls, and the key schemes every /v1 call needs.
        var ask = document.Paths["/v1/collections/{collection}/ask"].Operations![HttpMethod.Post];
        Assert.Contains("application/json", ask.RequestBody!.Content!.Keys);
        Assert.Contains("text/event-stream", ask.Responses!["200"].Content!.Keys);
        Assert.Contains("application/problem+json", ask.Responses["400"].Content!.Keys);
        var put = document.Paths["/v1/collections/{collection}/documents/{id}"].Operations![HttpMethod.Put];
        Assert.Contains("application/pdf", put.RequestBody!.Content!.Keys);
        Assert.Contains("multipart/form-data", put.RequestBody.Content.Keys);
        Assert.Equal(["apiKey", "bearer"], document.Components!.SecuritySchemes!.Keys.Order(StringComparer.Ordinal));
        Assert.All(document.Paths.Values.SelectMany(p => p.Operations!.Values), operation => Assert.NotEmpty(operation.Security!));
        using var raw = JsonDocument.Parse(json);
        var schemas = raw.RootElement.GetProperty("components").GetProperty("schemas");
        var modes = schemas.GetProperty("SearchMode").GetProperty("enum").EnumerateArray().Select(v => v.GetString()).ToList();
        Assert.Equal(["dense", "bm25", "hybrid"], modes);
        foreach (var problem in Silo.Api.Problems.Types)
        {
            Assert.Contains(problem.Uri, document.Info.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_api_reference_page_is_served_with_its_script_from_the_silo()
    {
        using var page = await host.Http.GetAsync("docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://cdn", html, StringComparison.OrdinalIgnoreCase);
        using var script = await host.Http.GetAsync("docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }

    [Fact]
    public async Task Collections_are_listed_with_their_sizes()
    {
        await host.PutAsync("listed-a", "one", "Basalt is a volcanic rock.\n\nIt cools quickly.");
        await host.PutAsync("listed-a", "two", "Granite cools slowly underground.");
        await host.PutAsync("listed-b", "three", "Obsidian is volcanic glass.");
        using (var created = await host.Http.PutAsJsonAsync("v1/collections/listed-empty", new { shardCount = 2 }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var list = await host.Http.GetFromJsonAsync<JsonElement>("v1/collections");
        var byName = list.GetProperty("collections").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(2, byName["listed-a"].GetProperty("documentCount").GetInt32());
        Assert.Equal(2, byName["listed-a"].GetProperty("chunkCount").GetInt64());
        Assert.Equal(1, byName["listed-b"].GetProperty("documentCount").GetInt32());
        Assert.Equal(0, byName["listed-empty"].GetProperty("documentCount").GetInt32());
        Assert.Equal(2, byName["listed-empty"].GetProperty("shardCount").GetInt32());
        var names = byName.Keys.ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    private static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;
}
