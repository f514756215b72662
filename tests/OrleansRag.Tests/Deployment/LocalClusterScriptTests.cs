using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Deployment;

/// <summary>
/// deploy/local-cluster.sh, as the README tells a newcomer to run it: PostgreSQL, Redis and 3 silos on loopback
/// form one cluster, any silo answers from the samples silo 1 loaded, and stop ends every process.
/// </summary>
public sealed class LocalClusterScriptTests
{
    [Fact]
    public async Task Script_starts_a_three_silo_cluster_that_answers_and_stops_it()
    {
        var state = Directory.CreateTempSubdirectory("orleansrag-local-");
        int Port() => TestPaths.FreePort();
        var httpPort = ConsecutivePorts();
        var environment = new Dictionary<string, string>
        {
            ["ORAG_LOCAL_DIR"] = state.FullName,
            ["ORAG_LOCAL_HTTP_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["ORAG_LOCAL_SILO_PORT"] = ConsecutivePorts().ToString(CultureInfo.InvariantCulture),
            ["ORAG_LOCAL_GATEWAY_PORT"] = ConsecutivePorts().ToString(CultureInfo.InvariantCulture),
            ["ORAG_PG_PORT"] = Port().ToString(CultureInfo.InvariantCulture),
            ["ORAG_REDIS_PORT"] = Port().ToString(CultureInfo.InvariantCulture),
            ["ORAG_SILO_DLL"] = Path.Combine(AppContext.BaseDirectory, "OrleansRag.Silo.dll"), // this build, not a Release build
        };
        var script = TestPaths.Repository("deploy", "local-cluster.sh");
        try
        {
            var started = await ExternalProcess.RunAsync("bash", [script, "start"], environment: environment, timeout: TimeSpan.FromMinutes(4));
            Assert.True(started.ExitCode == 0, started.ToString());

            var status = await ExternalProcess.RunAsync("bash", [script, "status"], environment: environment);
            Assert.Equal(3, status.Output.Split('\n').Count(line => line.EndsWith(": ready", StringComparison.Ordinal)));

            using var silo1 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(60) };
            using var silo3 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort + 2}/"), Timeout = TimeSpan.FromSeconds(60) };

            // One cluster: silo 1's dashboard counts three active silos (bounded poll: counters refresh every second).
            var active = 0;
            await Infrastructure.Eventually.WaitUntilAsync(async () =>
            {
                using var counters = JsonDocument.Parse(await silo1.GetStringAsync("dashboard/DashboardCounters"));
                active = counters.RootElement.GetProperty("totalActiveHostCount").GetInt32();
                return active >= 3;
            }, TimeSpan.FromSeconds(30), "three active silos on silo 1's dashboard", TimeSpan.FromMilliseconds(500));
            Assert.Equal(3, active);

            // Silo 3 answers from the documents silo 1 loaded (shared grains, shard entries in Redis).
            using var ask = await silo3.PostAsJsonAsync("v1/collections/sample/ask", new { question = "How does photosynthesis turn light into chemical energy?" });
            Assert.True(ask.IsSuccessStatusCode, await ask.Content.ReadAsStringAsync());
            using var answer = JsonDocument.Parse(await ask.Content.ReadAsStringAsync());
            Assert.NotEmpty(answer.RootElement.GetProperty("citations").EnumerateArray());
        }
        finally
        {
            var stopped = await ExternalProcess.RunAsync("bash", [script, "stop"], environment: environment, timeout: TimeSpan.FromMinutes(3));
            Assert.True(stopped.ExitCode == 0, stopped.ToString());
            Assert.Empty(Directory.GetFiles(state.FullName, "*.pid"));
            state.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The first of three consecutive free loopback ports (the script numbers silos from it), below the kernel's ephemeral
    /// range: a port from that range that is free now can be taken by an outgoing connection (a silo's to Redis) in the
    /// seconds before the silo that is to listen on it starts, which once failed this test with "address in use".
    /// </summary>
    private static int ConsecutivePorts()
    {
        var ephemeral = File.Exists("/proc/sys/net/ipv4/ip_local_port_range")
            ? int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture)
            : 32_768;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = Random.Shared.Next(10_000, Math.Max(10_001, ephemeral - 3));
            if (Enumerable.Range(first, 3).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException("No three consecutive free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
