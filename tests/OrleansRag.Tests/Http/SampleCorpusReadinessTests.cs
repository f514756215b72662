using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansRag.Tests.Http;

/// <summary>
/// The embedded default as a newcomer starts it: once /ready says 200 the sample corpus is in, so the question
/// the start-up banner suggests finds its answer at once (the local cluster script and a readiness probe rely on it).
/// </summary>
public sealed class SampleCorpusReadinessTests(SampleCorpusReadinessTests.SamplesHost host) : IClassFixture<SampleCorpusReadinessTests.SamplesHost>
{
    public sealed class SamplesHost : RagHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [new("Samples:Enabled", "true")];
    }

    [Fact]
    public async Task Ready_means_every_sample_document_is_in_and_the_suggested_question_is_answered_with_citations()
    {
        // The fixture returned on the first 200 from /ready: nothing is awaited here before looking.
        var samples = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "samples"))
            .Count(file => !Path.GetFileName(file).Equals("README.md", StringComparison.OrdinalIgnoreCase));
        Assert.True(samples >= 3, $"only {samples} sample files were copied to the test output");

        using var ready = JsonDocument.Parse(await host.Http.GetStringAsync("ready"));
        Assert.Equal("Healthy", ready.RootElement.GetProperty("checks").GetProperty("samples").GetProperty("status").GetString());

        using var collection = JsonDocument.Parse(await host.Http.GetStringAsync("v1/collections/sample"));
        Assert.Equal(samples, collection.RootElement.GetProperty("documentCount").GetInt32());

        using var ask = await host.Http.PostAsJsonAsync("v1/collections/sample/ask", new { question = "How does photosynthesis turn light into chemical energy?" });
        var body = await ask.Content.ReadAsStringAsync();
        Assert.True(ask.IsSuccessStatusCode, body);
        using var answer = JsonDocument.Parse(body);
        Assert.Contains(answer.RootElement.GetProperty("citations").EnumerateArray(),
            citation => citation.GetProperty("documentId").GetString() == "photosynthesis");
    }
}
