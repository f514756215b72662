using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>
/// Alert rules and silences belong to a tenant (its admins') or to the cluster (operators'): a tenant's admin never
/// sees, replaces or deletes another tenant's rules or silences, nor the cluster's; an operator manages the cluster's.
/// </summary>
[Collection(SecuredHostCollection.Name)]
public sealed class AlertScopeTests(SecuredHostFixture host)
{
    private static readonly object Rule = new { metric = "cpu_percent", window = "5m", comparator = ">", threshold = 99, labels = new { team = "x" } };

    [Fact]
    public async Task A_tenants_admin_keeps_to_its_own_rules_and_silences_and_only_an_operator_reaches_the_clusters()
    {
        using var alpha = host.ClientFor("alpha", RagRole.Admin);
        using var beta = host.ClientFor("beta", RagRole.Admin);
        using var operatorKey = host.ClientFor("beta", RagRole.Operator);

        // Alpha's rule and silence.
        using (var put = await alpha.PutAsJsonAsync("v1/alert-rules/Shared", Rule))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            var stored = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("alpha", stored.GetProperty("labels").GetProperty("tenant").GetString());
        }

        string alphaSilence;
        using (var silence = await alpha.PostAsJsonAsync("v1/silences", new { matchers = new { alertname = "Shared" }, duration = "1h", comment = "alpha's" }))
        {
            Assert.Equal(HttpStatusCode.Created, silence.StatusCode);
            alphaSilence = (await silence.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        // Beta's admin sees none of it, and neither the cluster's rules.
        var betaRules = await beta.GetFromJsonAsync<JsonElement>("v1/alert-rules");
        Assert.All(betaRules.EnumerateArray(), rule => Assert.Equal("beta", rule.GetProperty("labels").GetProperty("tenant").GetString()));
        Assert.DoesNotContain(betaRules.EnumerateArray(), rule => rule.GetProperty("name").GetString() == "Shared");
        Assert.Equal(HttpStatusCode.NotFound, (await beta.GetAsync("v1/alert-rules/Shared")).StatusCode);
        Assert.DoesNotContain("alpha", await beta.GetStringAsync("v1/silences"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await beta.DeleteAsync($"v1/silences/{alphaSilence}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await beta.DeleteAsync("v1/alert-rules/Shared")).StatusCode);

        // A rule of the same name is beta's own; alpha's is untouched. No body may set the tenant label itself.
        using (var claim = await beta.PutAsJsonAsync("v1/alert-rules/Shared", new { metric = "cpu_percent", window = "5m", comparator = ">", threshold = 42, labels = new { tenant = "alpha" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, claim.StatusCode);
            Assert.Contains("tenant", await claim.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var put = await beta.PutAsJsonAsync("v1/alert-rules/Shared", new { metric = "cpu_percent", window = "5m", comparator = ">", threshold = 42 }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal("beta", (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("labels").GetProperty("tenant").GetString());
        }

        Assert.Equal(99, (await alpha.GetFromJsonAsync<JsonElement>("v1/alert-rules/Shared")).GetProperty("threshold").GetDouble());
        Assert.Contains(alphaSilence, await alpha.GetStringAsync("v1/silences"), StringComparison.Ordinal);

        // The cluster's rules are the operator's: an admin asking for them gets 403, and the grains refuse a raw attempt too.
        foreach (var (method, path) in new[] { (HttpMethod.Get, "v1/alert-rules?scope=cluster"), (HttpMethod.Delete, "v1/alert-rules/HighCpu?scope=cluster"), (HttpMethod.Get, "v1/silences?scope=cluster") })
        {
            var (status, body) = await TenantIsolationTests.SendAsync(beta, method, path, null);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path}: {(int)status} {body}");
            Assert.Contains("operator", body, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await beta.GetAsync("v1/alert-rules?scope=everything")).StatusCode);

        // The operator sees its tenant's rules and the cluster's (the defaults), and changes the cluster's.
        var visible = (await operatorKey.GetFromJsonAsync<JsonElement>("v1/alert-rules")).EnumerateArray().ToList();
        Assert.Contains(visible, r => r.GetProperty("name").GetString() == "HighCpu" && !r.GetProperty("labels").TryGetProperty("tenant", out _));
        Assert.Contains(visible, r => r.GetProperty("name").GetString() == "Shared" && r.GetProperty("labels").GetProperty("tenant").GetString() == "beta");
        Assert.DoesNotContain(visible, r => r.GetProperty("labels").TryGetProperty("tenant", out var t) && t.GetString() == "alpha");
        using (var put = await operatorKey.PutAsJsonAsync("v1/alert-rules/ClusterWide?scope=cluster", Rule))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.False((await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("labels").TryGetProperty("tenant", out _));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await beta.GetAsync("v1/alert-rules/ClusterWide")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await operatorKey.DeleteAsync("v1/alert-rules/ClusterWide?scope=cluster")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await alpha.DeleteAsync("v1/alert-rules/Shared")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await beta.DeleteAsync("v1/alert-rules/Shared")).StatusCode);
    }
}
