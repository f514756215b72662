using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Production;

/// <summary>
/// Redis goes away while a silo runs: writes fail with 503 and a clear body, reads keep working from memory,
/// and the silo recovers by itself when Redis is back. Uses a Redis server of its own so it can stop it.
/// </summary>
public sealed class RedisOutageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orag-redis-").FullName;
    private readonly int _port = TestPaths.FreePort();
    private Process? _redis;

    private async Task StartRedisAsync()
    {
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--port", _port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder, "--appendonly", "yes", "--save", "" })
        {
            start.ArgumentList.Add(arg);
        }

        _redis = Process.Start(start)!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("redis-server did not start");
    }

    /// <summary>This test's Redis, then a silo storing in it (short Redis timeouts, a service id of its own), ready.</summary>
    private async Task<SiloProcess> StartSiloOnOwnRedisAsync()
    {
        await StartRedisAsync();
        var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["Cluster:Storage"] = "Redis",
            ["Cluster:RedisConnectionString"] = $"127.0.0.1:{_port},connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000",
            ["Cluster:ServiceId"] = "redis-" + Guid.NewGuid().ToString("N")[..8],
        });
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(120));
        return silo;
    }

    private async Task StopRedisAsync()
    {
        _redis!.Kill();
        await _redis.WaitForExitAsync();
        _redis.Dispose();
        _redis = null;
    }

    [Fact]
    public async Task Writes_fail_with_503_while_redis_is_down_reads_keep_working_and_the_silo_recovers()
    {
        await using var silo = await StartSiloOnOwnRedisAsync();
        var http = silo.Http;

        using (var put = await http.PutAsJsonAsync("v1/collections/outage/documents/before", new { text = "Kestrels hover in place while hunting voles." }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        await StopRedisAsync();

        using (var put = await http.PutAsJsonAsync("v1/collections/outage/documents/during", new { text = "Swifts can stay airborne for months." }))
        {
            var body = await put.Content.ReadAsStringAsync();
            Assert.True(put.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)put.StatusCode}: {body}");
            Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Redis", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotNull(put.Headers.RetryAfter);
        }

        using (var search = await http.PostAsJsonAsync("v1/collections/outage/search", new { query = "hovering bird", topK = 3 }))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Contains("Kestrels", await search.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("v1/collections/outage/documents/before")).StatusCode);
        var ready = await http.GetFromJsonAsync<JsonElement>("ready");
        Assert.Equal("Degraded", ready.GetProperty("status").GetString());

        await StartRedisAsync();
        var recovered = false;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!recovered && DateTime.UtcNow < deadline)
        {
            using var put = await http.PutAsJsonAsync("v1/collections/outage/documents/after", new { text = "Albatrosses glide for hours without flapping." });
            recovered = put.IsSuccessStatusCode;
            if (!recovered)
            {
                await Task.Delay(500);
            }
        }

        Assert.True(recovered, "writes did not recover within 60 s of Redis coming back:\n" + silo.Output);
        var list = await http.GetFromJsonAsync<JsonElement>("v1/collections/outage/documents");
        Assert.Equal(["after", "before"], list.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Ready_reports_a_redis_that_hangs_as_degraded_and_healthy_again_when_it_answers()
    {
        await using var silo = await StartSiloOnOwnRedisAsync();
        Assert.Equal("Healthy", await ReadyStatusAsync(silo.Http));

        // SIGSTOP: the process and its sockets stay, it just answers nothing (a connected socket is not an answer).
        await SignalAsync("STOP");
        try
        {
            Assert.Equal("Degraded", await WaitForReadyStatusAsync(silo.Http, "Degraded"));
        }
        finally
        {
            await SignalAsync("CONT");
        }

        Assert.Equal("Healthy", await WaitForReadyStatusAsync(silo.Http, "Healthy"));
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _redis!.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task<string> ReadyStatusAsync(HttpClient http)
    {
        using var response = await http.GetAsync("ready");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
    }

    private static async Task<string> WaitForReadyStatusAsync(HttpClient http, string wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var status = await ReadyStatusAsync(http);
        while (status != wanted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            status = await ReadyStatusAsync(http);
        }

        return status;
    }

    public void Dispose()
    {
        if (_redis is { HasExited: false })
        {
            _redis.Kill();
        }

        _redis?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
