using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace OrleansRag.Embedding;

/// <summary>
/// The embedding models a silo serves, by name, each loaded once per silo and only when first needed, with its own
/// <see cref="EmbeddingService"/> (session and lanes). A name is a bundled model's (all-MiniLM-L6-v2,
/// snowflake-arctic-embed-xs) or the configured <see cref="EmbeddingOptions.Model"/>'s (with its ModelPath, pooling and
/// prefixes), plus <see cref="OnnxEmbedder.QuantizedSuffix"/> for its int8 form. A collection records its model when it
/// is created (<see cref="DefaultModel"/> unless it names one) and every text of it is embedded with that model from
/// then on; collections created before models were recorded read as <see cref="LegacyModel"/>. The default model is
/// loaded when the host starts (readiness waits for it); the others on their first text.
/// In a silo the lanes close only after the silo has stopped serving grains (<see cref="Participate"/>): the host stops its
/// services in the reverse order of registration, and this one is registered after the silo's, so it would otherwise
/// close while grains still run the ingests and questions of a graceful shutdown.
/// </summary>
public sealed class EmbeddingModels : IHostedService, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly EmbeddingOptions _options;
    private readonly ILogger<EmbeddingService> _logger;
    private readonly Monitoring.RagInstruments? _instruments;
    private readonly ConcurrentDictionary<string, Lazy<Task<EmbeddingService>>> _services = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lazy<Task> _defaultLoaded;
    private volatile bool _inSilo;

    /// <param name="options">The configured model (the default's base) and the settings every model's lanes share.</param>
    /// <param name="logger">Where each model's loading and batches are logged.</param>
    /// <param name="instruments">The host's instruments, shared by every model's service.</param>
    public EmbeddingModels(IOptions<EmbeddingOptions> options, ILogger<EmbeddingService> logger, Monitoring.RagInstruments? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _instruments = instruments;
        DefaultModel = Canonical(_options.Model, _options.Quantized ?? true);
        LegacyModel = Canonical(_options.Model, _options.Quantized ?? false);
        Names =
        [
            .. BundledModels.Known.Keys.Where(name => BundledModels.IsAvailable(name, _options.CacheDirectory)).Prepend(_options.Model).Distinct(StringComparer.OrdinalIgnoreCase)
                .SelectMany(name => new[] { Canonical(name, quantized: false), Canonical(name, quantized: true) }),
        ];
        Default = Create(_options.Model, _options.Quantized ?? true);
        _defaultLoaded = new(() => Task.Run(() => Default.StartAsync(CancellationToken.None))); // loading is CPU and disk: off the caller's thread
        _services[DefaultModel] = new(async () =>
        {
            await Default.GetModelAsync().ConfigureAwait(false);
            return Default;
        });
    }

    /// <summary>The model new collections get unless they name one: the configured model, int8 unless <c>Embedding:Quantized</c> is false.</summary>
    public string DefaultModel { get; }

    /// <summary>The model of collections created before collections recorded theirs: the configured model, fp32 unless <c>Embedding:Quantized</c> is true.</summary>
    public string LegacyModel { get; }

    /// <summary>The default model's service (also the silo's tokenizer for prompt budgets); loaded when the host starts.</summary>
    public EmbeddingService Default { get; }

    /// <summary>Every name this silo can serve: the configured model and the bundled ones whose files are here, each fp32 and int8.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Texts waiting for inference in every loaded model's lanes.</summary>
    public long QueueLength => Loaded.Sum(service => service.QueueLength);

    private IEnumerable<EmbeddingService> Loaded =>
        _services.Values.Where(lazy => lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully).Select(lazy => lazy.Value.Result);

    /// <summary>True when this silo can serve <paramref name="name"/>.</summary>
    public bool IsKnown(string name) => Names.Contains(name, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The service of model <paramref name="name"/>, loaded on first use (a few seconds; the int8 form is made from the
    /// fp32 one the first time). A name this silo does not serve is a configuration fault of the silo (a collection
    /// records only names its creating silo served; check <see cref="IsKnown"/> for names a caller gives).
    /// </summary>
    public async Task<EmbeddingService> GetAsync(string name)
    {
        if (!TryParse(name, out var baseName, out var quantized))
        {
            throw new InvalidOperationException(
                $"This silo does not serve embedding model '{name}' (it serves {string.Join(", ", Names)}): configure every silo with the same Embedding settings.");
        }

        var canonical = Canonical(baseName, quantized);
        var lazy = _services.GetOrAdd(canonical, _ => new Lazy<Task<EmbeddingService>>(() => LoadAsync(baseName, quantized)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            _services.TryRemove(KeyValuePair.Create(canonical, lazy)); // a later text tries again
            throw;
        }
    }

    /// <summary>Texts embedded now by model <paramref name="name"/>, in its interactive lane (questions, and sentences an answer has no stored vector for).</summary>
    public async Task<float[][]> EmbedNowAsync(string name, IReadOnlyList<string> texts, EmbeddingKind kind, CancellationToken cancellationToken) =>
        (await (await GetAsync(name).ConfigureAwait(false)).EmbedAsync(texts, kind, EmbeddingLane.Interactive, cancellationToken).ConfigureAwait(false)).Vectors;

    /// <summary>What model <paramref name="name"/> is (loading it when needed): what a collection records.</summary>
    public async Task<EmbeddingModelInfo> DescribeAsync(string name)
    {
        var model = await (await GetAsync(name).ConfigureAwait(false)).GetModelAsync().ConfigureAwait(false);
        return new EmbeddingModelInfo(model.Name, model.Dimensions, model.Pooling.ToString().ToLowerInvariant(), model.Name.EndsWith(OnnxEmbedder.QuantizedSuffix, StringComparison.Ordinal));
    }

    /// <summary>Loads the default model, once: outside a silo when the host starts; in a silo before it (<see cref="Participate"/>).</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _defaultLoaded.Value;

    /// <summary>Outside a silo the host's stop closes the lanes; in a silo, <see cref="Participate"/> does.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _inSilo ? Task.CompletedTask : StopModelsAsync(cancellationToken);

    /// <summary>
    /// In a silo the default model loads before the silo takes grains (application services start before the silo
    /// becomes active), so a silo that joins in a rolling update never holds its first calls while the model loads; and
    /// the lanes close when the silo stops its runtime services, after its grains have deactivated (stages stop in
    /// reverse), so no grain call of a graceful shutdown finds them closed.
    /// </summary>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        _inSilo = true;
        lifecycle.Subscribe(nameof(EmbeddingModels), ServiceLifecycleStage.ApplicationServices, _ => _defaultLoaded.Value);
        lifecycle.Subscribe(nameof(EmbeddingModels), ServiceLifecycleStage.RuntimeServices, _ => Task.CompletedTask, StopModelsAsync);
    }

    private async Task StopModelsAsync(CancellationToken cancellationToken)
    {
        foreach (var service in Loaded.Prepend(Default).Distinct().ToList())
        {
            await service.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Disposes the models loaded on demand; the default's service belongs to the container.</summary>
    public void Dispose()
    {
        foreach (var service in Loaded.Where(service => !ReferenceEquals(service, Default)).ToList())
        {
            service.Dispose();
        }
    }

    private async Task<EmbeddingService> LoadAsync(string baseName, bool quantized)
    {
        var service = Create(baseName, quantized);
        try
        {
            await Task.Run(() => service.StartAsync(CancellationToken.None)).ConfigureAwait(false); // loading is CPU and disk: off the caller's scheduler
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>A service for <paramref name="baseName"/> (int8 when <paramref name="quantized"/>): the configured model's own settings, or a bundled model's.</summary>
    private EmbeddingService Create(string baseName, bool quantized)
    {
        var configured = string.Equals(baseName, _options.Model, StringComparison.OrdinalIgnoreCase);
        var options = new EmbeddingOptions
        {
            Model = configured ? _options.Model : baseName,
            ModelPath = configured ? _options.ModelPath : null,
            CacheDirectory = _options.CacheDirectory,
            Pooling = configured ? _options.Pooling : null,
            QueryPrefix = configured ? _options.QueryPrefix : null,
            DocumentPrefix = configured ? _options.DocumentPrefix : null,
            MaxTokens = _options.MaxTokens,
            MaxQueuedTexts = _options.MaxQueuedTexts,
            MaxBatchSize = _options.MaxBatchSize,
            IntraOpThreads = _options.IntraOpThreads,
            Quantized = quantized,
        };
        return new EmbeddingService(Options.Create(options), _logger, _instruments);
    }

    /// <summary>Splits a name into its base model (as the silo spells it) and whether it is the int8 form.</summary>
    private bool TryParse(string name, out string baseName, out bool quantized)
    {
        ArgumentNullException.ThrowIfNull(name);
        quantized = name.EndsWith(OnnxEmbedder.QuantizedSuffix, StringComparison.OrdinalIgnoreCase);
        var stem = quantized ? name[..^OnnxEmbedder.QuantizedSuffix.Length] : name;
        baseName = string.Equals(stem, _options.Model, StringComparison.OrdinalIgnoreCase)
            ? _options.Model
            : BundledModels.Known.TryGetValue(stem, out var bundled) ? bundled.Name : "";
        return baseName.Length > 0;
    }

    private static string Canonical(string baseName, bool quantized) => quantized ? baseName + OnnxEmbedder.QuantizedSuffix : baseName;
}
