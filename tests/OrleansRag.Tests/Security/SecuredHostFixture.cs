using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansRag.Security;
using OrleansRag.Tests.Generation;
using OrleansRag.Tests.Http;

namespace OrleansRag.Tests.Security;

/// <summary>
/// The real host with API keys: two tenants (alpha, beta), each with a reader, a writer and an admin key, every log
/// line captured. Each tenant owns a collection named "shared" (the same name in both) and one of its own, seeded
/// with marker strings that must never reach the other tenant.
/// </summary>
public class SecuredHostFixture : RagHostFixture
{
    public const string LanguageModelKey = "sk-live-LLM-SECRET-d41d8cd98f00";

    /// <summary>A cluster secret (Security:ClusterSecret) as `openssl rand -base64 32` makes one.</summary>
    public static readonly string ClusterSecret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static readonly string[] Tenants = ["alpha", "beta"];

    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>tenant -> role -> (key, id).</summary>
    public Dictionary<string, Dictionary<RagRole, (string Key, string Id)>> Keys { get; } = Tenants.ToDictionary(
        tenant => tenant,
        _ => Enum.GetValues<RagRole>().ToDictionary(role => role, _ => { var (key, id, _) = ApiKeys.Create(); return (key, id); }));

    public IEnumerable<string> AllSecrets => Keys.Values.SelectMany(r => r.Values.Select(k => k.Key)).Append(LanguageModelKey);

    public static string Marker(string tenant) => $"{tenant.ToUpperInvariant()}-MARKER-5e1f";

    public static string[] Traces(string tenant) =>
        [Marker(tenant), $"{tenant}-title-9c2d", $"{tenant}-doc-1", $"{tenant}-doc-2", $"{tenant}-only"];

    protected virtual IEnumerable<KeyValuePair<string, string?>> LimitSettings() => [];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        var index = 0;
        foreach (var (tenant, roles) in Keys)
        {
            foreach (var (role, (key, id)) in roles)
            {
                yield return new($"Security:ApiKeys:{index}:Id", id);
                yield return new($"Security:ApiKeys:{index}:Tenant", tenant);
                yield return new($"Security:ApiKeys:{index}:Role", role.ToString().ToLowerInvariant());
                yield return new($"Security:ApiKeys:{index}:Hash", ApiKeys.Hash(key));
                index++;
            }
        }

        // The matrices send many requests per key in a burst; the limits themselves are tested with their own settings.
        foreach (var role in new[] { "Reader", "Writer", "Admin" })
        {
            yield return new($"Security:{role}:PermitsPerSecond", "1000");
            yield return new($"Security:{role}:Burst", "1000");
        }

        yield return new("Security:ClusterSecret", ClusterSecret);
        yield return new("Generation:ApiKey", LanguageModelKey);
        yield return new("Logging:LogLevel:Default", "Debug");
        yield return new("Logging:LogLevel:Orleans", "Information");
        yield return new("Logging:LogLevel:OrleansRag.Security.TenantAccessFilter", "Debug"); // "runs as anonymous"
        foreach (var setting in LimitSettings())
        {
            yield return setting;
        }
    }

    /// <summary>
    /// Every call to an OrleansRag grain, through its own interfaces or Orleans' (reminder ticks, stream deliveries), with
    /// who it comes as before the cluster checks it.
    /// </summary>
    public ConcurrentQueue<(string Interface, string Method, string? Principal)> GrainCalls { get; } = new();

    protected override void Configure(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.AddProvider(new CapturingLoggerProvider(Logs));
        builder.Services.AddSingleton<Orleans.IIncomingGrainCallFilter>(new CallRecorder(GrainCalls));
        builder.Services.AddSingleton<Orleans.IIncomingGrainCallFilter>(ReminderProbe);
    }

    /// <summary>Registers or removes a reminder of a grain from inside that grain's next call (the reminder registry works only there).</summary>
    public ReminderProbeFilter ReminderProbe { get; } = new();

    public sealed class ReminderProbeFilter : Orleans.IIncomingGrainCallFilter
    {
        private (GrainId Target, string Name, bool Register, TaskCompletionSource Done)? _pending;

        /// <summary>Does it on the next call <paramref name="target"/> receives; completes when done.</summary>
        public Task ScheduleAsync(GrainId target, string name, bool register)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = (target, name, register, done);
            return done.Task;
        }

        public async Task Invoke(Orleans.IIncomingGrainCallContext context)
        {
            if (_pending is { } pending && pending.Target == context.TargetId)
            {
                _pending = null;
                try
                {
                    var registry = context.TargetContext.ActivationServices.GetRequiredService<Orleans.Timers.IReminderRegistry>();
                    if (pending.Register)
                    {
                        await registry.RegisterOrUpdateReminder(pending.Target, pending.Name, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
                    }
                    else if (await registry.GetReminder(pending.Target, pending.Name) is { } reminder)
                    {
                        await registry.UnregisterReminder(pending.Target, reminder);
                    }

                    pending.Done.TrySetResult();
                }
                catch (Exception exception)
                {
                    pending.Done.TrySetException(exception);
                }
            }

            await context.Invoke();
        }
    }

    /// <summary>
    /// Records who each call comes as: the key it carries (its id; the access filter verifies it next), else the principal
    /// a silo signed for it ("internal|…" for the silo's own calls).
    /// </summary>
    private sealed class CallRecorder(ConcurrentQueue<(string, string, string?)> calls) : Orleans.IIncomingGrainCallFilter
    {
        public Task Invoke(Orleans.IIncomingGrainCallContext context)
        {
            if (context.InterfaceMethod.DeclaringType is { } type
                && (type.Namespace?.StartsWith("OrleansRag", StringComparison.Ordinal) == true || context.Grain?.GetType().Namespace?.StartsWith("OrleansRag", StringComparison.Ordinal) == true))
            {
                var caller = Orleans.Runtime.RequestContext.Get(RagRequestContext.ApiKey) is string key && ApiKeys.TryGetId(key, out var id)
                    ? $"{id}|key"
                    : Orleans.Runtime.RequestContext.Get(RagRequestContext.Principal) as string;
                calls.Enqueue((type.Name, context.InterfaceMethod.Name, caller));
            }

            return context.Invoke();
        }
    }

    public HttpClient ClientFor(string tenant, RagRole role) => ClientWith(Keys[tenant][role].Key);

    public HttpClient ClientWith(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var tenant in Tenants)
        {
            using var writer = ClientFor(tenant, RagRole.Writer);
            foreach (var (collection, id) in new[] { ("shared", $"{tenant}-doc-1"), ("shared", $"{tenant}-doc-2"), ($"{tenant}-only", $"{tenant}-doc-1") })
            {
                using var response = await writer.PutAsJsonAsync($"v1/collections/{collection}/documents/{id}", new
                {
                    title = $"{tenant}-title-9c2d",
                    text = $"{Marker(tenant)} Volcanoes erupt when magma rises through the crust. The {tenant} team keeps notes on eruptions and lava.",
                });
                response.EnsureSuccessStatusCode();
            }
        }
    }
}

/// <summary>The one secured host the security matrices share (the rate-limit and dashboard tests start their own, with other settings).</summary>
[CollectionDefinition(Name)]
public sealed class SecuredHostCollection : ICollectionFixture<SecuredHostFixture>
{
    public const string Name = nameof(SecuredHostCollection);
}
