using Microsoft.Extensions.Configuration;
using OrleansRag.Silo;
using OrleansRag.Silo.Hosting;

namespace OrleansRag.Tests.Http;

/// <summary>Options the host reads while it is composed are checked then, with one line that names the setting.</summary>
public sealed class StartupOptionsTests
{
    [Theory]
    [InlineData("Dashboard:Port", "0", "Dashboard:Port The field Port must be between 1 and 65535.")]
    [InlineData("Dashboard:Path", "dashboard", "Dashboard:Path must be a path that starts with '/'.")]
    [InlineData("Dashboard:AllowRemote", "sometimes", "Dashboard:AllowRemote must be true or false; it was 'sometimes'.")]
    public void A_dashboard_setting_that_cannot_work_stops_the_host_naming_it(string key, string value, string expected)
    {
        var error = Assert.Throws<RagStartupException>(() => RagHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value, ["Samples:Enabled"] = "false" })));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Rerank:Enabled", "true", "Rerank:Enabled (or Rerank:Kind LanguageModel) needs a reranker")]
    [InlineData("Rerank:Kind", "LanguageModel", "Rerank:Enabled (or Rerank:Kind LanguageModel) needs a reranker")]
    [InlineData("Rerank:ModelPath", "/nonexistent/cross-encoder.onnx", "Rerank:ModelPath '/nonexistent/cross-encoder.onnx' does not exist")]
    [InlineData("Embedding:ModelPath", "/nonexistent/model-folder", "Embedding:ModelPath '/nonexistent/model-folder' must be a folder holding model.onnx and vocab.txt")]
    public async Task A_model_that_cannot_load_stops_the_start_naming_the_setting(string key, string value, string expected)
    {
        await using var app = RagHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value, ["Samples:Enabled"] = "false" }));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>The settings of originals and ingestion webhooks: what cannot work is refused at start, naming the setting.</summary>
public sealed class OriginalsAndWebhookOptionsTests
{
    [Fact]
    public void Production_mode_refuses_the_throwaway_originals_folder_and_takes_a_shared_one_or_none()
    {
        Dictionary<string, string?> Production(params (string Key, string Value)[] more)
        {
            var settings = new Dictionary<string, string?>
            {
                ["Cluster:Storage"] = "Redis",
                ["Cluster:RedisConnectionString"] = "127.0.0.1:1",
                ["Samples:Enabled"] = "false",
            };
            foreach (var (key, value) in more)
            {
                settings[key] = value;
            }

            return settings;
        }

        var error = Assert.Throws<RagStartupException>(() => RagHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(Production())));
        Assert.Contains("BlobStore:Path", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ingestion:KeepSources", error.Message, StringComparison.Ordinal);

        foreach (var accepted in new[] { Production(("BlobStore:Path", "/srv/originals")), Production(("Ingestion:KeepSources", "false")), Production(("BlobStore:Kind", "S3"), ("BlobStore:S3:Bucket", "b")) })
        {
            using var app = RagHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(accepted));
        }
    }

    [Fact]
    public void Webhooks_and_blob_stores_that_cannot_work_are_refused_naming_the_setting()
    {
        static string[] Problems(System.ComponentModel.DataAnnotations.IValidatableObject options) =>
            [.. options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(r => r.ErrorMessage!)];

        var ingestion = new OrleansRag.Ingestion.IngestionOptions();
        ingestion.Webhooks.Add(new OrleansRag.Ingestion.IngestionWebhook { Url = "ftp://example.test/hook", Secret = "short" });
        ingestion.Webhooks.Add(new OrleansRag.Ingestion.IngestionWebhook { Url = "https://example.test/hook", Secret = new string('s', 16) });
        ingestion.Webhooks[1].Events.Add("document.deleted");
        Assert.Equal(
        [
            "Ingestion:Webhooks:0:Url must be an absolute http(s) URL; it was 'ftp://example.test/hook'.",
            "Ingestion:Webhooks:0:Secret must be at least 16 characters: every body is signed with it (HMAC-SHA256).",
            "Ingestion:Webhooks:1:Events holds 'document.deleted'; the events are document.ready and document.failed.",
        ], Problems(ingestion));

        Assert.Contains("BlobStore:AzureBlob:ConnectionString", Assert.Single(Problems(new OrleansRag.Blobs.BlobStoreOptions { Kind = OrleansRag.Blobs.BlobStoreKind.AzureBlob })), StringComparison.Ordinal);
        Assert.Contains("BlobStore:S3:Bucket", Assert.Single(Problems(new OrleansRag.Blobs.BlobStoreOptions { Kind = OrleansRag.Blobs.BlobStoreKind.S3 })), StringComparison.Ordinal);
        Assert.Contains("go together", Assert.Single(Problems(new OrleansRag.Blobs.BlobStoreOptions
        {
            Kind = OrleansRag.Blobs.BlobStoreKind.S3,
            S3 = new OrleansRag.Blobs.S3StoreOptions { Bucket = "b", AccessKey = "id-only" },
        })), StringComparison.Ordinal);
    }
}
