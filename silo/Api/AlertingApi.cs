using System.Globalization;
using System.Text.Json;
using OrleansRag.Monitoring;
using OrleansRag.Security;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Alerting and the metrics summary (admin role): /v1/alert-rules (list, get, create, replace, delete),
/// /v1/alerts (active and history), /v1/silences (list, add, delete), /v1/metrics/summary. Rules and silences belong
/// to the caller's tenant, or with <c>?scope=cluster</c> to the whole cluster (the operator role's).
/// </summary>
public static class AlertingApi
{
    public static RouteGroupBuilder MapAlertingApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var rules = v1.MapGroup("/alert-rules").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        rules.MapGet("/", (string? scope, HttpContext context, IGrainFactory grains) =>
                FromVisibleAsync(scope, context, grains, async m => await m.ListRulesAsync(), all => all.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray()))
            .WithName("ListAlertRules").WithSummary("The caller's tenant's alert rules, and for an operator the cluster's too (a tenant's carry the label tenant)")
            .Produces<AlertRule[]>().ProducesProblems(400, 403);
        rules.MapGet("/{name}", (string name, string? scope, HttpContext context, IGrainFactory grains) => WithManagerAsync(scope, context, grains, async manager =>
                await manager.GetRuleAsync(name) is { } rule ? Results.Ok(rule) : Problems.NotFound($"Alert rule '{name}' does not exist.")))
            .WithName("GetAlertRule").WithSummary("One alert rule (scope=cluster: a cluster-wide one)").Produces<AlertRule>().ProducesProblems(400, 403, 404);
        rules.MapPut("/{name}", (string name, string? scope, HttpContext context, IGrainFactory grains) => WithManagerAsync(scope, context, grains, async manager =>
            {
                var (body, problem) = await JsonBody.ReadAsync<JsonDocument>(context.Request, JsonBody.SmallBodyLimit);
                using (body)
                {
                    return problem ?? await PutAsync(name, body!.RootElement, manager, createOnly: false);
                }
            }))
            .Audited("alert-rule.put").WithName("PutAlertRule").WithSummary("Create or replace an alert rule of the caller's tenant (scope=cluster: a cluster-wide one, operators only)")
            .DescribesBody<AlertRuleBody>("application/json").Produces<AlertRule>(StatusCodes.Status201Created).Produces<AlertRule>().ProducesProblems(400, 403, 413, 415);
        rules.MapPost("/", (string? scope, HttpContext context, IGrainFactory grains) => WithManagerAsync(scope, context, grains, async manager =>
        {
            var (body, problem) = await JsonBody.ReadAsync<JsonDocument>(context.Request, JsonBody.SmallBodyLimit);
            using (body)
            {
                if (problem is not null)
                {
                    return problem;
                }

                return body!.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    ? await PutAsync(name.GetString()!, body.RootElement, manager, createOnly: true)
                    : Problems.BadRequest("name: a rule needs a name.");
            }
        })).Audited("alert-rule.create").WithName("CreateAlertRule").WithSummary("Create an alert rule (409 when the name exists)")
            .DescribesBody<AlertRuleBody>("application/json").Produces<AlertRule>(StatusCodes.Status201Created).ProducesProblems(400, 403, 409, 413, 415);
        rules.MapDelete("/{name}", (string name, string? scope, HttpContext context, IGrainFactory grains) => WithManagerAsync(scope, context, grains, async manager =>
                await manager.DeleteRuleAsync(name) ? Results.NoContent() : Problems.NotFound($"Alert rule '{name}' does not exist.")))
            .Audited("alert-rule.delete").WithName("DeleteAlertRule").WithSummary("Delete an alert rule (its firing alerts resolve)")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 403, 404);

        var alerts = v1.MapGroup("/alerts").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        alerts.MapGet("/", (string? scope, HttpContext context, IGrainFactory grains) =>
                FromVisibleAsync(scope, context, grains, async m => await m.ActiveAlertsAsync(), all => new ActiveAlerts([.. all.OrderBy(a => a.Rule, StringComparer.Ordinal)])))
            .WithName("ListActiveAlerts").WithSummary("Alerts pending, firing or without data: the tenant's, and for an operator the cluster's").Produces<ActiveAlerts>().ProducesProblems(400, 403);
        alerts.MapGet("/history", (int? limit, string? scope, HttpContext context, IGrainFactory grains) =>
                FromVisibleAsync(scope, context, grains, async m => await m.HistoryAsync(limit ?? 100),
                    all => new AlertHistory([.. all.OrderByDescending(a => a.EndsAt ?? a.StartsAt ?? a.ActiveSince).Take(Math.Clamp(limit ?? 100, 1, 500))])))
            .WithName("AlertHistory").WithSummary("The latest alert state changes").Produces<AlertHistory>().ProducesProblems(400, 403);

        var silences = v1.MapGroup("/silences").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        silences.MapGet("/", (string? scope, HttpContext context, IGrainFactory grains) =>
                FromVisibleAsync(scope, context, grains, async m => await m.ListSilencesAsync(), all => all.ToArray()))
            .WithName("ListSilences").WithSummary("Active silences: the tenant's (they cover its alerts), and for an operator the cluster's (they cover every alert)")
            .Produces<Silence[]>().ProducesProblems(400, 403);
        silences.MapPost("/", (string? scope, HttpContext context, IGrainFactory grains, TimeProvider time) =>
                WithManagerAsync(scope, context, grains, manager => AddSilenceAsync(context, manager, time)))
            .Audited("silence.create").WithName("CreateSilence").WithSummary("Silence the alerts whose labels match")
            .DescribesBody<SilenceBody>("application/json").Produces<Silence>(StatusCodes.Status201Created).ProducesProblems(400, 403, 413, 415);
        silences.MapDelete("/{id}", (string id, string? scope, HttpContext context, IGrainFactory grains) => WithManagerAsync(scope, context, grains, async manager =>
                await manager.DeleteSilenceAsync(id) ? Results.NoContent() : Problems.NotFound($"Silence '{id}' does not exist.")))
            .Audited("silence.delete").WithName("DeleteSilence").WithSummary("End a silence").Produces(StatusCodes.Status204NoContent).ProducesProblems(400, 403, 404);

        v1.MapGet("/metrics/summary", async (string? window, HttpContext context, IGrainFactory grains) =>
            AlertRuleParser.ParseDuration(window ?? "5m") is { } span && span > TimeSpan.Zero
                ? Results.Ok(VisibleShards(await grains.GetGrain<IMetricsGrain>(MetricsChannel.Key).GetSummaryAsync(span), context))
                : Problems.BadRequest($"window must be a positive duration like \"5m\"; it was \"{window}\"."))
            .WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin)
            .WithName("MetricsSummary").WithSummary("Request rates, latency, errors, cache hit rate and every silo's gauges over a window")
            .Produces<MetricsSummary>().ProducesProblems(400);
        return v1;
    }

    /// <summary>
    /// The managers a request reaches: <c>scope=tenant</c> (the default for changes) is the caller's tenant's,
    /// <c>scope=cluster</c> the cluster-wide one, for operators only. Reads without a scope see both when the caller
    /// may. The grains check the same again (a tenant's admin key cannot reach the cluster's or another tenant's).
    /// </summary>
    private static (string?[] Tenants, IResult? Problem) Scopes(string? scope, HttpContext context, bool forRead)
    {
        var principal = ApiKeyAuthenticationHandler.PrincipalOf(context.User) ?? RagPrincipal.LocalAdmin;
        return scope switch
        {
            null when forRead && principal.Has(RagRole.Operator) => ([principal.Tenant, null], null),
            null or "tenant" => ([principal.Tenant], null),
            "cluster" when principal.Has(RagRole.Operator) => ([null], null),
            "cluster" => ([], Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"scope=cluster (the cluster-wide alert rules and silences) needs the operator role; the key has {principal.Role.ToString().ToLowerInvariant()}.")),
            _ => ([], Problems.BadRequest($"scope must be \"tenant\" or \"cluster\"; it was \"{scope}\".")),
        };
    }

    /// <summary>Shards are named by tenant and collection: an operator sees every silo's largest, a tenant's admin only its own.</summary>
    private static MetricsSummary VisibleShards(MetricsSummary summary, HttpContext context)
    {
        var principal = ApiKeyAuthenticationHandler.PrincipalOf(context.User) ?? RagPrincipal.LocalAdmin;
        if (principal.Has(RagRole.Operator))
        {
            return summary;
        }

        var prefix = principal.Tenant + "/";
        return summary with
        {
            Silos = [.. summary.Silos.Select(silo => silo.Index is null ? silo : silo with
            {
                Index = silo.Index with { Largest = [.. silo.Index.Largest.Where(shard => shard.Shard.StartsWith(prefix, StringComparison.Ordinal))] },
            })],
        };
    }

    private static async Task<IResult> WithManagerAsync(string? scope, HttpContext context, IGrainFactory grains, Func<IAlertManagerGrain, Task<IResult>> action)
    {
        var (tenants, problem) = Scopes(scope, context, forRead: false);
        return problem ?? await action(grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.KeyFor(tenants[0])));
    }

    private static async Task<IResult> FromVisibleAsync<TItem, TResult>(string? scope, HttpContext context, IGrainFactory grains,
        Func<IAlertManagerGrain, Task<TItem[]>> read, Func<IEnumerable<TItem>, TResult> combine)
    {
        var (tenants, problem) = Scopes(scope, context, forRead: true);
        if (problem is not null)
        {
            return problem;
        }

        var parts = await Task.WhenAll(tenants.Select(t => read(grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.KeyFor(t)))));
        return Results.Ok(combine(parts.SelectMany(p => p)));
    }

    private static async Task<IResult> PutAsync(string name, JsonElement body, IAlertManagerGrain manager, bool createOnly)
    {
        var (rule, problem) = AlertRuleParser.Parse(name, body);
        if (problem is not null)
        {
            return Problems.BadRequest(problem);
        }

        if (createOnly && await manager.GetRuleAsync(name) is not null)
        {
            return Results.Problem(detail: $"Alert rule '{name}' exists; PUT /v1/alert-rules/{name} replaces it.", statusCode: StatusCodes.Status409Conflict, title: "Conflict");
        }

        // The stored form (a tenant's rule gains its tenant label) is what is answered.
        var created = await manager.PutRuleAsync(rule!);
        var stored = await manager.GetRuleAsync(name) ?? rule!;
        var scope = manager.GetPrimaryKeyString() == AlertManagerGrain.Key ? "?scope=cluster" : "";
        return created ? Results.Created($"/v1/alert-rules/{name}{scope}", stored) : Results.Ok(stored);
    }

    private static async Task<IResult> AddSilenceAsync(HttpContext context, IAlertManagerGrain manager, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync<JsonDocument>(context.Request, JsonBody.SmallBodyLimit);
        using (body)
        {
            if (problem is not null)
            {
                return problem;
            }

            var root = body!.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("matchers", out var matchers) || matchers.ValueKind != JsonValueKind.Object
                || !matchers.EnumerateObject().Any() || matchers.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
            {
                return Problems.BadRequest("matchers: a silence needs label matchers, e.g. {\"alertname\": \"HighCpu\"} (string values).");
            }

            DateTimeOffset endsAt;
            if (root.TryGetProperty("endsAt", out var ends))
            {
                if (ends.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(ends.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out endsAt))
                {
                    return Problems.BadRequest("endsAt must be an ISO-8601 time.");
                }
            }
            else if (root.TryGetProperty("duration", out var duration) && duration.ValueKind == JsonValueKind.String
                     && AlertRuleParser.ParseDuration(duration.GetString()) is { } span && span > TimeSpan.Zero)
            {
                endsAt = time.GetUtcNow() + span;
            }
            else
            {
                return Problems.BadRequest("duration (like \"2h\") or endsAt (ISO-8601) is required.");
            }

            if (endsAt <= time.GetUtcNow())
            {
                return Problems.BadRequest("endsAt must be in the future.");
            }

            var principal = ApiKeyAuthenticationHandler.PrincipalOf(context.User);
            var comment = root.TryGetProperty("comment", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
            var silence = await manager.AddSilenceAsync(
                matchers.EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!), endsAt, principal?.KeyId ?? "local", comment);
            return Results.Created($"/v1/silences/{silence.Id}", silence);
        }
    }
}
