using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OrleansRag.Client;
using OrleansRag.Hosting;
using OrleansRag.Silo.Hosting;

namespace OrleansRag.Silo.Samples;

/// <summary>Configuration section "Samples".</summary>
public sealed class SampleCorpusOptions
{
    public const string SectionName = "Samples";

    /// <summary>Load the sample corpus at start (the embedded default does).</summary>
    public bool Enabled { get; set; }

    public string Collection { get; set; } = "sample";

    /// <summary>Folder of *.md / *.txt files, relative to the application folder.</summary>
    public string Path { get; set; } = "samples";

    public string ExampleQuestion { get; set; } = "How does photosynthesis turn light into chemical energy?";

    /// <summary>The tenant the samples are loaded for (the open mode's local admin uses "default").</summary>
    public string Tenant { get; set; } = RagConstants.DefaultTenant;
}

/// <summary>
/// Where loading the sample corpus stands. /ready waits for it (the "samples" check), so "ready" means the
/// question the banner suggests finds its answer, not an empty collection.
/// </summary>
public sealed class SampleCorpusStatus : IHealthCheck
{
    private volatile string? _failure;
    private volatile bool _loaded;

    public void Loaded() => _loaded = true;

    public void Failed(string reason) => _failure = reason;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            _failure is { } failure ? HealthCheckResult.Degraded($"The sample corpus could not be loaded: {failure}")
            : _loaded ? HealthCheckResult.Healthy("Sample corpus loaded.")
            : HealthCheckResult.Unhealthy("Loading the sample corpus."));
}

/// <summary>
/// Once the host has started, ingests the bundled sample corpus and prints where the service listens and a
/// question to try.
/// </summary>
public sealed partial class SampleCorpusLoader(
    IGrainFactory grains,
    IOptions<SampleCorpusOptions> options,
    SampleCorpusStatus status,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<SampleCorpusLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitUntilStartedAsync(stoppingToken);
        try
        {
            await LoadAsync(stoppingToken);
            status.Loaded();
        }
        catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
        {
            // The service itself works without its samples: say so on /ready (Degraded) and in the log, keep serving.
            status.Failed(exception.Message);
            LogFailed(exception, options.Value.Collection);
        }
    }

    private async Task LoadAsync(CancellationToken stoppingToken)
    {
        var sample = options.Value;
        var rag = new RagClient(grains, sample.Tenant, apiKey: null); // an internal caller of the silo, not a request
        var folder = System.IO.Path.Combine(AppContext.BaseDirectory, sample.Path);
        var files = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                .Where(f => !System.IO.Path.GetFileName(f).Equals("README.md", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
            : [];
        var chunks = 0;
        foreach (var file in files)
        {
            var text = await File.ReadAllTextAsync(file, stoppingToken);
            var contentType = file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? ContentTypes.Markdown : ContentTypes.PlainText;
            var result = await rag.IngestAsync(sample.Collection, System.IO.Path.GetFileNameWithoutExtension(file),
                new DocumentInput(text, ContentType: contentType), stoppingToken);
            chunks += result.ChunkCount;
        }

        LogLoaded(files.Count, chunks, sample.Collection);
        var url = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5000";
        var banner = $"""

            OrleansRag is ready at {url}
              sample collection '{sample.Collection}': {files.Count} documents, {chunks} chunks
              try:
                curl -s {url}/v1/collections/{sample.Collection}/ask -H 'Content-Type: application/json' \
                     -d '{"{"}"question": "{sample.ExampleQuestion}"{"}"}'
              or: dotnet run --project client/orag -- ask "{sample.ExampleQuestion}" --collection {sample.Collection} --url {url}

            """;
        await Console.Out.WriteLineAsync(banner);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Loading the sample corpus into collection {Collection} failed")]
    private partial void LogFailed(Exception exception, string collection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Documents} sample documents ({Chunks} chunks) into collection {Collection}")]
    private partial void LogLoaded(int documents, int chunks, string collection);
}

public static class SampleCorpusExtensions
{
    public static IServiceCollection AddSampleCorpus(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SampleCorpusOptions>(configuration, SampleCorpusOptions.SectionName);
        if (configuration.GetValue<bool>($"{SampleCorpusOptions.SectionName}:{nameof(SampleCorpusOptions.Enabled)}"))
        {
            services.AddSingleton<SampleCorpusStatus>();
            services.AddHostedService<SampleCorpusLoader>();
            services.AddHealthChecks().AddCheck<SampleCorpusStatus>("samples", tags: [HealthEndpoints.ReadyTag]);
        }

        return services;
    }
}
