using Microsoft.Extensions.Options;

namespace OrleansRag.Monitoring;

[GenerateSerializer, Alias("OrleansRag.Monitoring.AlertManagerState")]
public sealed class AlertManagerState
{
    [Id(0)]
    public List<string> Rules { get; set; } = [];

    [Id(1)]
    public List<Silence> Silences { get; set; } = [];

    [Id(2)]
    public List<Alert> History { get; set; } = [];

    [Id(3)]
    public bool DefaultsCreated { get; set; }

    /// <summary>On the cluster's manager: the tenants with rules of their own.</summary>
    [Id(4)]
    public List<string> Tenants { get; set; } = [];
}

/// <summary>
/// One scope's alerting registry (the cluster's, or one tenant's): the names of the rules (each rule is a grain of
/// its own), silences and the history of state changes, all persisted grain state. Every silo calls
/// <see cref="StartAsync"/> on the cluster's manager once it runs, which wakes every rule, and every tenant's manager
/// with rules, after a cluster start. A tenant's rules carry the label <c>tenant</c>; its silences cover only its
/// own alerts.
/// </summary>
[GrainType("alertmanager")] // the name the convention gave it: stored state and reminders are keyed by it, so a rename of the class must not change it
public sealed class AlertManagerGrain(
    [PersistentState("alert-manager", RagConstants.StorageName)] IPersistentState<AlertManagerState> state,
    IOptions<AlertingOptions> options, TimeProvider time) : Grain, IAlertManagerGrain
{
    public const string Key = "cluster";
    public const string TenantLabel = "tenant";
    private const int HistoryLimit = 500;

    /// <summary>The manager of a tenant's rules, or of the cluster's (null).</summary>
    public static string KeyFor(string? tenant) => tenant is null ? Key : $"{tenant}/alerts";

    /// <summary>The tenant of a manager's or a rule grain's key; null for the cluster's.</summary>
    public static string? TenantOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? key[..slash] : null;

    /// <summary>
    /// A rule as its grain keeps it: a tenant's carries the label tenant (receivers, grouping and silences go by it),
    /// set from the grain's key, so no caller can make a rule speak for another tenant.
    /// </summary>
    public static AlertRule Scoped(AlertRule rule, string? tenant) =>
        tenant is null ? rule : rule with { Labels = new Dictionary<string, string>(rule.Labels.Where(l => l.Key != TenantLabel)) { [TenantLabel] = tenant } };

    /// <summary>The key of a rule's grain in a scope.</summary>
    public static string RuleKey(string? tenant, string name) => tenant is null ? name : $"{tenant}/{name}";

    private string? Tenant => TenantOf(this.GetPrimaryKeyString());

    public async Task StartAsync()
    {
        if (!state.State.DefaultsCreated)
        {
            if (options.Value.DefaultRules && Tenant is null)
            {
                foreach (var rule in DefaultAlertRules.All.Where(r => !state.State.Rules.Contains(r.Name)))
                {
                    await Rule(rule.Name).SetAsync(rule);
                    state.State.Rules.Add(rule.Name);
                }
            }

            state.State.DefaultsCreated = true;
            await state.WriteStateAsync();
        }

        await Task.WhenAll(state.State.Rules.Select(name => Rule(name).WakeAsync()));
        await Task.WhenAll(state.State.Tenants.Select(tenant => GrainFactory.GetGrain<IAlertManagerGrain>(KeyFor(tenant)).StartAsync()));
    }

    public async Task AddTenantAsync(string tenant)
    {
        if (Tenant is null && !state.State.Tenants.Contains(tenant))
        {
            state.State.Tenants.Add(tenant);
            await state.WriteStateAsync();
        }
    }

    public async Task<AlertRule[]> ListRulesAsync()
    {
        var rules = await Task.WhenAll(state.State.Rules.Select(GetRuleAsync));
        return [.. rules.OfType<AlertRule>().OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    public async Task<AlertRule?> GetRuleAsync(string name) =>
        state.State.Rules.Contains(name) ? await Rule(name).GetRuleAsync() : null;

    public async Task<bool> PutRuleAsync(AlertRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (Tenant is { } tenant)
        {
            await RegisterTenantAsync(tenant);
        }

        await Rule(rule.Name).SetAsync(rule);
        if (state.State.Rules.Contains(rule.Name))
        {
            return false;
        }

        state.State.Rules.Add(rule.Name);
        await state.WriteStateAsync();
        return true;
    }

    /// <summary>The cluster's manager learns of this tenant's rules: the manager's own doing, not its caller's (an internal call).</summary>
    private async Task RegisterTenantAsync(string tenant)
    {
        if (state.State.Rules.Count == 0)
        {
            RequestContext.Remove(Security.RagRequestContext.Principal); // stays inside this async method
            await GrainFactory.GetGrain<IAlertManagerGrain>(Key).AddTenantAsync(tenant);
        }
    }

    public async Task<bool> DeleteRuleAsync(string name)
    {
        if (!state.State.Rules.Remove(name))
        {
            return false;
        }

        await state.WriteStateAsync();
        await Rule(name).RemoveAsync();
        return true;
    }

    public async Task<Alert[]> ActiveAlertsAsync()
    {
        var alerts = await Task.WhenAll(state.State.Rules.Select(name => Rule(name).AlertsAsync()));
        return [.. alerts.SelectMany(a => a).OrderBy(a => a.Rule, StringComparer.Ordinal)];
    }

    public Task<Alert[]> HistoryAsync(int limit) =>
        Task.FromResult(state.State.History.AsEnumerable().Reverse().Take(Math.Clamp(limit, 1, HistoryLimit)).ToArray());

    public async Task<Silence> AddSilenceAsync(IReadOnlyDictionary<string, string> matchers, DateTimeOffset endsAt, string createdBy, string comment)
    {
        var silence = new Silence(Guid.NewGuid().ToString("N")[..12], new Dictionary<string, string>(matchers), time.GetUtcNow(), endsAt, createdBy, comment);
        state.State.Silences.RemoveAll(s => s.EndsAt <= time.GetUtcNow());
        state.State.Silences.Add(silence);
        await state.WriteStateAsync();
        return silence;
    }

    public Task<Silence[]> ListSilencesAsync() =>
        Task.FromResult(state.State.Silences.Where(s => s.EndsAt > time.GetUtcNow()).ToArray());

    public async Task<bool> DeleteSilenceAsync(string id)
    {
        if (state.State.Silences.RemoveAll(s => s.Id == id) == 0)
        {
            return false;
        }

        await state.WriteStateAsync();
        return true;
    }

    public Task<bool> IsSilencedAsync(IReadOnlyDictionary<string, string> labels) =>
        Task.FromResult(state.State.Silences.Any(s => s.Matches(labels, time.GetUtcNow())));

    public async Task RecordAsync(Alert alert)
    {
        state.State.History.Add(alert);
        if (state.State.History.Count > HistoryLimit)
        {
            state.State.History.RemoveRange(0, state.State.History.Count - HistoryLimit);
        }

        await state.WriteStateAsync();
    }

    private IAlertRuleGrain Rule(string name) => GrainFactory.GetGrain<IAlertRuleGrain>(RuleKey(Tenant, name));
}
