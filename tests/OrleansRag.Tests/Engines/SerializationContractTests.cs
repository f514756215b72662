using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Engines;

/// <summary>
/// Stored data survives renames: every type the Orleans serializer writes (grain state and shard entries in Redis,
/// grain-call payloads) carries an [Alias], every grain interface too, and every grain class with stored state or
/// reminders a fixed [GrainType] (its storage key), so renaming a type or a namespace orphans nothing.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class SerializationContractTests(RagHostFixture host)
{
    private static readonly Assembly[] Assemblies = [typeof(IDocumentGrain).Assembly, typeof(Ingestion.DocumentGrain).Assembly];

    [Fact]
    public void Every_serialized_type_has_an_alias()
    {
        var serialized = Assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t.GetCustomAttribute<GenerateSerializerAttribute>() is not null && t.Namespace?.StartsWith("OrleansCodeGen", StringComparison.Ordinal) != true).ToList();
        Assert.True(serialized.Count > 30, $"only {serialized.Count} serialized types found");
        Assert.Empty(serialized.Where(t => t.GetCustomAttribute<AliasAttribute>() is null).Select(t => t.FullName));
        var aliases = serialized.Select(t => t.GetCustomAttribute<AliasAttribute>()!.Alias).ToList();
        Assert.Equal(aliases.Count, aliases.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_grain_interface_has_an_alias()
    {
        var interfaces = Assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t)).ToList();
        Assert.True(interfaces.Count >= 12, $"only {interfaces.Count} grain interfaces found");
        Assert.Empty(interfaces.Where(t => t.GetCustomAttribute<AliasAttribute>() is null).Select(t => t.FullName));
    }

    [Fact]
    public void Every_grain_interface_declares_how_it_is_keyed_by_tenant()
    {
        // The cluster's access filter isolates tenants by this declaration and refuses calls to an undeclared interface.
        var interfaces = Assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t)).ToList();
        Assert.Empty(interfaces.Where(t => t.GetCustomAttribute<OrleansRag.Security.TenantScopedAttribute>() is null).Select(t => t.FullName));
        Assert.Equal(OrleansRag.Security.TenantScope.KeyPrefix, typeof(IDocumentGrain).GetCustomAttribute<OrleansRag.Security.TenantScopedAttribute>()!.Scope);
        Assert.Equal(OrleansRag.Security.TenantScope.Key, typeof(ITenantGrain).GetCustomAttribute<OrleansRag.Security.TenantScopedAttribute>()!.Scope);
    }

    [Fact]
    public void Grains_with_stored_state_keep_the_grain_type_their_data_is_keyed_by()
    {
        var grains = host.App.Services.GetRequiredService<IGrainFactory>();
        var expected = new Dictionary<string, GrainId>
        {
            ["document"] = grains.GetGrain<IDocumentGrain>("t/c/d").GetGrainId(),
            ["collection"] = grains.GetGrain<ICollectionGrain>("t/c").GetGrainId(),
            ["tenant"] = grains.GetGrain<ITenantGrain>("t").GetGrainId(),
            ["retrievalshard"] = grains.GetGrain<IRetrievalShardGrain>("t/c/0").GetGrainId(),
            ["metrics"] = grains.GetGrain<OrleansRag.Monitoring.IMetricsGrain>("cluster").GetGrainId(),
            ["alertmanager"] = grains.GetGrain<OrleansRag.Monitoring.IAlertManagerGrain>("cluster").GetGrainId(),
            ["alertrule"] = grains.GetGrain<OrleansRag.Monitoring.IAlertRuleGrain>("r").GetGrainId(),
        };
        Assert.All(expected, pair => Assert.Equal(pair.Key, pair.Value.Type.ToString()));

        var stateful = typeof(Ingestion.DocumentGrain).Assembly.GetTypes()
            .Where(t => typeof(Grain).IsAssignableFrom(t) && t.GetConstructors().SelectMany(c => c.GetParameters()).Any(p => p.GetCustomAttribute<PersistentStateAttribute>() is not null))
            .ToList();
        Assert.NotEmpty(stateful);
        Assert.Empty(stateful.Where(t => t.GetCustomAttribute<GrainTypeAttribute>() is null).Select(t => t.FullName));
    }
}
