using System.Collections;
using System.Reflection;
using Orleans.Configuration;
using OrleansRag.Conversations;
using OrleansRag.Embedding;
using OrleansRag.Generation;
using OrleansRag.Monitoring;
using OrleansRag.Ingestion;
using OrleansRag.Query;
using OrleansRag.Retrieval;
using OrleansRag.Security;
using OrleansRag.Silo.Samples;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// Every configuration key the silo reads: OrleansRag's sections with the options type each binds to, and the keys
/// that ASP.NET Core, .NET, OpenTelemetry and Orleans' Kubernetes hosting read themselves. The silo warns at start
/// about keys in its own sections that nothing binds (a misspelt setting is otherwise silently ignored), and a test
/// holds the deployment files in deploy/ to the same list.
/// </summary>
public static class ConfigurationSchema
{
    /// <summary>Section path -> options type bound there.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Sections = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [OrleansHostingOptions.SectionName] = typeof(OrleansHostingOptions),
        [$"{OrleansHostingOptions.SectionName}:Membership"] = typeof(ClusterMembershipOptions),
        [EmbeddingOptions.SectionName] = typeof(EmbeddingOptions),
        [IngestionOptions.SectionName] = typeof(IngestionOptions),
        [OrleansRag.Blobs.BlobStoreOptions.SectionName] = typeof(OrleansRag.Blobs.BlobStoreOptions),
        [OrleansRag.Ingestion.Ocr.OcrOptions.SectionName] = typeof(OrleansRag.Ingestion.Ocr.OcrOptions),
        [OrleansRag.Sources.SourceOptions.SectionName] = typeof(OrleansRag.Sources.SourceOptions),
        [GenerationOptions.SectionName] = typeof(GenerationOptions),
        [OrleansRag.Generation.Rerank.RerankOptions.SectionName] = typeof(OrleansRag.Generation.Rerank.RerankOptions),
        [QueryOptions.SectionName] = typeof(QueryOptions),
        [ConversationOptions.SectionName] = typeof(ConversationOptions),
        [RetrievalOptions.SectionName] = typeof(RetrievalOptions),
        [SampleCorpusOptions.SectionName] = typeof(SampleCorpusOptions),
        [DashboardOptions.SectionName] = typeof(DashboardOptions),
        [SecurityOptions.SectionName] = typeof(SecurityOptions),
        [MonitoringOptions.SectionName] = typeof(MonitoringOptions),
        [AlertingOptions.SectionName] = typeof(AlertingOptions),
    };

    /// <summary>Keys (and key prefixes ending in ':' or '_') read by the frameworks the silo is built on.</summary>
    public static readonly IReadOnlyList<string> FrameworkKeys =
    [
        "Urls", "AllowedHosts", "Logging:", "Kestrel:", "ASPNETCORE_", "DOTNET_", "OTEL_",
        "POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID", // Orleans.Hosting.Kubernetes
    ];

    /// <summary>The keys among <paramref name="keys"/> ("Section:Setting" or environment form "Section__Setting") that nothing reads.</summary>
    public static IEnumerable<string> UnknownKeys(IEnumerable<string> keys) =>
        keys.Where(key => !IsKnown(key.Replace("__", ":", StringComparison.Ordinal)));

    /// <summary>The keys set in <paramref name="configuration"/> under OrleansRag's own sections that nothing binds.</summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var ownSections = Sections.Keys.Select(s => s.Split(':')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return UnknownKeys(configuration.AsEnumerable(makePathsRelative: false)
            .Where(pair => pair.Value is not null && ownSections.Contains(pair.Key.Split(':')[0]))
            .Select(pair => pair.Key));
    }

    private static bool IsKnown(string key)
    {
        if (FrameworkKeys.Any(known => known.EndsWith(':') || known.EndsWith('_')
                ? key.StartsWith(known, StringComparison.OrdinalIgnoreCase)
                : key.Equals(known, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        // The longest registered section that contains the key, then the rest of the path through its properties.
        var section = Sections.Keys
            .Where(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase))
            .MaxBy(s => s.Length);
        return section is not null && IsProperty(Sections[section], key[(section.Length + 1)..].Split(':'));
    }

    private static bool IsProperty(Type type, ReadOnlySpan<string> path)
    {
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (property is null || (property.SetMethod is not { IsPublic: true } && !IsCollection(property.PropertyType)))
        {
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return IsCollection(propertyType) // entries of a list or dictionary have free keys
            || (propertyType.IsClass && propertyType != typeof(string) && IsProperty(propertyType, path[1..]));
    }

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);
}
