using System.Net;
using System.Net.Sockets;
using System.Text;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>
/// Missing, malformed, forged and odd keys, very long headers, the audit trail, and secrets kept out of logs,
/// metrics, error bodies and the dashboard. After every bad request the silo keeps serving.
/// </summary>
[Collection(SecuredHostCollection.Name)]
public sealed class ApiKeyEdgeTests(SecuredHostFixture host)
{
    private string AlphaReader => host.Keys["alpha"][RagRole.Reader].Key;

    public static TheoryData<string, string> BadAuthorization => new()
    {
        { "no key", "" },
        { "empty bearer", "Authorization: Bearer" },
        { "unknown scheme", "Authorization: Token abc" },
        { "not a key", "Authorization: Bearer hello" },
        { "right shape, unknown id", "Authorization: Bearer orag_aaaaaaaaaaaa_" + new string('A', 43) },
        { "known id, forged secret", "KNOWN-ID-FORGED" },
        { "key cut short", "CUT" },
        { "key with a space inside", "SPACE" },
        { "basic without password", "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin")) },
        { "two different keys", "TWO" },
        { "x-api-key garbage", "X-Api-Key: ' OR 1=1 --" },
    };

    [Theory]
    [MemberData(nameof(BadAuthorization))]
    public async Task Bad_or_missing_keys_get_401_with_a_problem_body_and_the_silo_keeps_serving(string name, string header)
    {
        var key = AlphaReader;
        var id = host.Keys["alpha"][RagRole.Reader].Id;
        header = header switch
        {
            "KNOWN-ID-FORGED" => $"Authorization: Bearer orag_{id}_{new string('B', 43)}",
            "CUT" => $"Authorization: Bearer {key[..^1]}",
            "SPACE" => $"Authorization: Bearer {key[..20]} {key[21..]}",
            "TWO" => $"Authorization: Bearer {key}\r\nX-Api-Key: {host.Keys["beta"][RagRole.Reader].Key}",
            _ => header,
        };

        var (status, headers, body) = await RawAsync("GET", "/v1/collections/shared/documents", header);
        Assert.True(status == 401, $"{name}: {status} {body}");
        Assert.Contains("WWW-Authenticate: Bearer", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":401", body, StringComparison.Ordinal);
        Assert.DoesNotContain("MARKER", body, StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Keys_are_accepted_as_bearer_x_api_key_or_basic_password_with_surrounding_whitespace()
    {
        var key = AlphaReader;
        foreach (var header in new[]
        {
            $"Authorization: Bearer {key}",
            $"authorization: bearer   {key}  ",
            $"X-Api-Key: {key}",
            $"X-Api-Key:    {key}\t",
            $"Authorization: Bearer {key}\r\nX-Api-Key: {key}", // the same key twice is fine
            "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"anyone:{key}")),
        })
        {
            var (status, _, body) = await RawAsync("GET", "/v1/me", header);
            Assert.True(status == 200, $"{header.Replace(key, "<key>", StringComparison.Ordinal)}: {status} {body}");
            Assert.Contains("\"tenant\":\"alpha\"", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Non_ascii_keys_and_huge_headers_get_a_4xx_and_the_silo_keeps_serving()
    {
        // Unicode in the key (raw UTF-8 bytes on the wire; HttpClient would refuse to send them).
        var (unicode, _, _) = await RawAsync("GET", "/v1/me", $"Authorization: Bearer orag_ä{AlphaReader[6..]}");
        Assert.InRange(unicode, 400, 401);

        var (lookalike, _, _) = await RawAsync("GET", "/v1/me", $"X-Api-Key: {AlphaReader.Replace('a', 'а')}"); // Cyrillic а
        Assert.InRange(lookalike, 400, 401);

        // A 64 KiB header: Kestrel refuses it (431) before any of our code runs.
        var (huge, _, _) = await RawAsync("GET", "/v1/me", "X-Api-Key: " + new string('k', 64 * 1024));
        Assert.Equal(431, huge);

        // Health and readiness need no key.
        Assert.Equal(200, (await RawAsync("GET", "/health", "")).Status);
        Assert.Equal(200, (await RawAsync("GET", "/ready", "")).Status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Changes_are_audited_with_key_id_tenant_action_and_outcome()
    {
        var writer = host.Keys["beta"][RagRole.Writer];
        using var client = host.ClientFor("beta", RagRole.Writer);
        using (var put = await client.PutAsync("v1/collections/audit/documents/audited-doc", System.Net.Http.Json.JsonContent.Create(new { text = "Audited text." })))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var delete = await client.DeleteAsync("v1/collections/audit/documents/audited-doc"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var empty = await client.PutAsync("v1/collections/audit/documents/empty-doc", System.Net.Http.Json.JsonContent.Create(new { text = "" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode); // refused by the grain: the audit says 400 too, not 500
        }

        using var reader = host.ClientFor("beta", RagRole.Reader);
        using (var refused = await reader.DeleteAsync("v1/collections/audit/documents/other"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // refused before the endpoint: not a change
        }

        var audit = host.Logs.Where(line => line.Contains("OrleansRag.Audit", StringComparison.Ordinal)).ToArray();
        Assert.Contains(audit, line => line.Contains($"audit document.upsert /v1/collections/audit/documents/audited-doc -> 201 by key {writer.Id} (tenant beta, Writer)", StringComparison.Ordinal));
        Assert.Contains(audit, line => line.Contains($"audit document.delete /v1/collections/audit/documents/audited-doc -> 204 by key {writer.Id} (tenant beta, Writer)", StringComparison.Ordinal));
        Assert.Contains(audit, line => line.Contains($"audit document.upsert /v1/collections/audit/documents/empty-doc -> 400 by key {writer.Id} (tenant beta, Writer)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Secrets_never_appear_in_logs_traces_metrics_error_bodies_or_the_dashboard()
    {
        // Every span the process records meanwhile, with its name and tags.
        var spans = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => spans.Enqueue($"{activity.DisplayName} {string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {string.Join(" ", activity.Baggage.Select(b => $"{b.Key}={b.Value}"))}"),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var bodies = new List<string>();
        foreach (var (tenant, roles) in host.Keys)
        {
            foreach (var (role, (key, _)) in roles)
            {
                foreach (var path in new[] { "/v1/me", "/v1/collections/shared/documents", "/v1/collections/nope/documents/x", "/v1/collections/%00/ask" })
                {
                    bodies.Add((await RawAsync("GET", path, $"Authorization: Bearer {key}")).Body);
                }

                bodies.Add((await RawAsync("GET", "/v1/me", $"Authorization: Bearer {key}x")).Body); // a wrong key
            }
        }

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        string metrics = "";
        await Infrastructure.Eventually.WaitUntilAsync(async () => (metrics = await http.GetStringAsync("metrics")).Contains("http_server_request_duration", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "a metrics scrape that holds the requests above", TimeSpan.FromMilliseconds(250));
        bodies.Add(metrics);
        bodies.Add(await http.GetStringAsync("dashboard/DashboardCounters"));
        bodies.Add(await http.GetStringAsync("dashboard/ClusterStats"));

        Assert.NotEmpty(host.Logs);
        Assert.Contains(spans, span => span.Contains("/v1/", StringComparison.Ordinal));
        foreach (var secret in host.AllSecrets)
        {
            var secretPart = secret[^20..];
            Assert.DoesNotContain(host.Logs, line => line.Contains(secretPart, StringComparison.Ordinal));
            Assert.DoesNotContain(spans, span => span.Contains(secretPart, StringComparison.Ordinal));
            Assert.DoesNotContain(bodies, body => body.Contains(secretPart, StringComparison.Ordinal));
        }
    }

    private async Task AssertStillServingAsync()
    {
        var (status, _, body) = await RawAsync("GET", "/v1/collections/shared/documents", $"X-Api-Key: {AlphaReader}");
        Assert.True(status == 200, body);
        Assert.Contains("alpha-doc-1", body, StringComparison.Ordinal);
    }

    /// <summary>One HTTP/1.1 request written byte for byte (headers exactly as given), and its status, headers, body.</summary>
    private async Task<(int Status, string Headers, string Body)> RawAsync(string method, string path, string headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var extra = headers.Length == 0 ? "" : headers + "\r\n";
        var request = $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? response : response[..split];
        var status = int.Parse(head.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, head, split < 0 ? "" : response[(split + 4)..]);
    }
}
