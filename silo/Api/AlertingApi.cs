using System.Globalization;
using System.Text.Json;
using OrleansRag.Monitoring;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Api;

/// <summary>
/// Alerting and the metrics summary (admin role): /v1/alert-rules (list, get, create, replace, delete),
/// /v1/alerts (active and history), /v1/silences (list, add, delete), /v1/metrics/summary.
/// </summary>
public static class AlertingApi
{
    public static RouteGroupBuilder MapAlertingApi(this RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var rules = v1.MapGroup("/alert-rules").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        rules.MapGet("/", async (IGrainFactory grains) => Results.Ok(await Manager(grains).ListRulesAsync()))
            .WithName("ListAlertRules").WithSummary("Every alert rule").Produces<AlertRule[]>();
        rules.MapGet("/{name}", async (string name, IGrainFactory grains) =>
            await Manager(grains).GetRuleAsync(name) is { } rule ? Results.Ok(rule) : Problems.NotFound($"Alert rule '{name}' does not exist."))
            .WithName("GetAlertRule").WithSummary("One alert rule").Produces<AlertRule>().ProducesProblems(404);
        rules.MapPut("/{name}", (string name, HttpRequest request, IGrainFactory grains) => PutAsync(name, request, grains, createOnly: false))
            .Audited("alert-rule.put").WithName("PutAlertRule").WithSummary("Create or replace an alert rule")
            .DescribesBody<AlertRuleBody>("application/json").Produces<AlertRule>(StatusCodes.Status201Created).Produces<AlertRule>().ProducesProblems(400, 413, 415);
        rules.MapPost("/", async (HttpRequest request, IGrainFactory grains) =>
        {
            var (body, problem) = await JsonBody.ReadAsync<JsonDocument>(request, JsonBody.SmallBodyLimit);
            using (body)
            {
                if (problem is not null)
                {
                    return problem;
                }

                return body!.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    ? await PutAsync(name.GetString()!, body.RootElement, grains, createOnly: true)
                    : Problems.BadRequest("name: a rule needs a name.");
            }
        }).Audited("alert-rule.create").WithName("CreateAlertRule").WithSummary("Create an alert rule (409 when the name exists)")
            .DescribesBody<AlertRuleBody>("application/json").Produces<AlertRule>(StatusCodes.Status201Created).ProducesProblems(400, 409, 413, 415);
        rules.MapDelete("/{name}", async (string name, IGrainFactory grains) =>
            await Manager(grains).DeleteRuleAsync(name) ? Results.NoContent() : Problems.NotFound($"Alert rule '{name}' does not exist."))
            .Audited("alert-rule.delete").WithName("DeleteAlertRule").WithSummary("Delete an alert rule (its firing alerts resolve)")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(404);

        var alerts = v1.MapGroup("/alerts").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        alerts.MapGet("/", async (IGrainFactory grains) => Results.Ok(new ActiveAlerts(await Manager(grains).ActiveAlertsAsync())))
            .WithName("ListActiveAlerts").WithSummary("Alerts pending, firing or without data").Produces<ActiveAlerts>();
        alerts.MapGet("/history", async (int? limit, IGrainFactory grains) => Results.Ok(new AlertHistory(await Manager(grains).HistoryAsync(limit ?? 100))))
            .WithName("AlertHistory").WithSummary("The latest alert state changes").Produces<AlertHistory>();

        var silences = v1.MapGroup("/silences").WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin);
        silences.MapGet("/", async (IGrainFactory grains) => Results.Ok(await Manager(grains).ListSilencesAsync()))
            .WithName("ListSilences").WithSummary("Silences, active and expired").Produces<Silence[]>();
        silences.MapPost("/", AddSilenceAsync).Audited("silence.create").WithName("CreateSilence").WithSummary("Silence the alerts whose labels match")
            .DescribesBody<SilenceBody>("application/json").Produces<Silence>(StatusCodes.Status201Created).ProducesProblems(400, 413, 415);
        silences.MapDelete("/{id}", async (string id, IGrainFactory grains) =>
            await Manager(grains).DeleteSilenceAsync(id) ? Results.NoContent() : Problems.NotFound($"Silence '{id}' does not exist."))
            .Audited("silence.delete").WithName("DeleteSilence").WithSummary("End a silence").Produces(StatusCodes.Status204NoContent).ProducesProblems(404);

        v1.MapGet("/metrics/summary", async (string? window, IGrainFactory grains) =>
            AlertRuleParser.ParseDuration(window ?? "5m") is { } span && span > TimeSpan.Zero
                ? Results.Ok(await grains.GetGrain<IMetricsGrain>(MetricsChannel.Key).GetSummaryAsync(span))
                : Problems.BadRequest($"window must be a positive duration like \"5m\"; it was \"{window}\"."))
            .WithTags("Alerting").RequireAuthorization(SecurityExtensions.Admin)
            .WithName("MetricsSummary").WithSummary("Request rates, latency, errors, cache hit rate and every silo's gauges over a window")
            .Produces<MetricsSummary>().ProducesProblems(400);
        return v1;
    }

    private static IAlertManagerGrain Manager(IGrainFactory grains) => grains.GetGrain<IAlertManagerGrain>(AlertManagerGrain.Key);

    private static async Task<IResult> PutAsync(string name, HttpRequest request, IGrainFactory grains, bool createOnly)
    {
        var (body, problem) = await JsonBody.ReadAsync<JsonDocument>(request, JsonBody.SmallBodyLimit);
        using (body)
        {
            return problem ?? await PutAsync(name, body!.RootElement, grains, createOnly);
        }
    }

    private static async Task<IResult> PutAsync(string name, JsonElement body, IGrainFactory grains, bool createOnly)
    {
        var (rule, problem) = AlertRuleParser.Parse(name, body);
        if (problem is not null)
        {
            return Problems.BadRequest(problem);
        }

        if (createOnly && await Manager(grains).GetRuleAsync(name) is not null)
        {
            return Results.Problem(detail: $"Alert rule '{name}' exists; PUT /v1/alert-rules/{name} replaces it.", statusCode: StatusCodes.Status409Conflict, title: "Conflict");
        }

        return await Manager(grains).PutRuleAsync(rule!) ? Results.Created($"/v1/alert-rules/{name}", rule) : Results.Ok(rule);
    }

    private static async Task<IResult> AddSilenceAsync(HttpContext context, IGrainFactory grains, TimeProvider time)
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
            var silence = await Manager(grains).AddSilenceAsync(
                matchers.EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!), endsAt, principal?.KeyId ?? "local", comment);
            return Results.Created($"/v1/silences/{silence.Id}", silence);
        }
    }
}
