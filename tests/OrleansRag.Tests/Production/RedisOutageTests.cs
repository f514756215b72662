using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Production;

/// <summary>
/// Redis goes away while a silo runs: writes fail with 503 and a clear body, reads keep working from memory,
/// and the silo recovers by itself when Redis is back. Each scenario has a Redis server and a service id of its own, so
/// it can stop that server, and two scenarios run at once without meeting: most of their time is spent waiting for
/// timeouts, so they are run in pairs (<see cref="Pairs"/>), each test reporting its own scenario.
/// </summary>
public sealed class RedisOutageTests(RedisOutageTests.Pairs pairs, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RedisOutageTests.Pairs>
{
    [Fact]
    public Task A_hung_redis_gives_writers_503_never_500_across_silos_reads_answer_throughout_and_nothing_acknowledged_is_lost() =>
        pairs.RunAsync(0, output);

    [Fact]
    public Task A_redis_restart_in_the_middle_of_writes_answers_503_never_500_and_keeps_every_acknowledged_document() => pairs.RunAsync(1, output);

    [Fact]
    public Task Writes_fail_with_503_while_redis_is_down_reads_keep_working_and_the_silo_recovers() => pairs.RunAsync(2, output);

    [Fact]
    public Task A_redis_that_restarts_empty_is_detected_writes_are_refused_and_unchanged_is_never_claimed() => pairs.RunAsync(3, output);

    [Fact]
    public Task Ready_reports_a_redis_that_hangs_as_degraded_and_healthy_again_when_it_answers() => pairs.RunAsync(4, output);

    /// <summary>
    /// Runs the scenarios two at a time (the hung Redis with the ready check, Redis down with Redis restarted empty, the
    /// restart in the middle of writes alone): the first test of a pair starts both and waits for both, each test then
    /// writes what its own scenario printed and fails only if its own scenario failed. The restart in the middle of
    /// writes runs alone: beside the hung-Redis scenario it once met a StackExchange.Redis failure that reached a writer
    /// as a 500 (see the issue notes), which is a defect of its own, not of running two at once.
    /// </summary>
    public sealed class Pairs
    {
        private static readonly Func<RedisOutageScenario, Task>[] Scenarios =
        [
            s => s.A_hung_redis_gives_writers_503_never_500_across_silos_reads_answer_throughout_and_nothing_acknowledged_is_lost(),
            s => s.A_redis_restart_in_the_middle_of_writes_answers_503_never_500_and_keeps_every_acknowledged_document(),
            s => s.Writes_fail_with_503_while_redis_is_down_reads_keep_working_and_the_silo_recovers(),
            s => s.A_redis_that_restarts_empty_is_detected_writes_are_refused_and_unchanged_is_never_claimed(),
            s => s.Ready_reports_a_redis_that_hangs_as_degraded_and_healthy_again_when_it_answers(),
        ];

        private readonly Lock _gate = new();
        private readonly Task[] _running = new Task[Scenarios.Length];
        private readonly BufferedOutput[] _outputs = [.. Scenarios.Select(_ => new BufferedOutput())];

        public async Task RunAsync(int scenario, Xunit.Abstractions.ITestOutputHelper output)
        {
            var partner = Partner(scenario);
            lock (_gate)
            {
                foreach (var index in new[] { scenario, partner }.Distinct())
                {
                    _running[index] ??= Task.Run(() => RunOneAsync(index));
                }
            }

            // Both of the pair end before the next test starts another pair, so never more than two run at once.
            await Task.WhenAll(_running[scenario], _running[partner]).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            foreach (var line in _outputs[scenario].Lines)
            {
                output.WriteLine(line);
            }

            await _running[scenario]; // this test's own outcome
        }

        private static int Partner(int scenario) => scenario switch
        {
            0 => 4,
            4 => 0,
            2 => 3,
            3 => 2,
            _ => scenario,
        };

        private async Task RunOneAsync(int index)
        {
            using var scenario = new RedisOutageScenario(_outputs[index]);
            await Scenarios[index](scenario);
        }
    }

    /// <summary>What a scenario writes, kept until its test can write it (the test that started it may have ended).</summary>
    private sealed class BufferedOutput : Xunit.Abstractions.ITestOutputHelper
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public void WriteLine(string message) => _lines.Enqueue(message);

        public void WriteLine(string format, params object[] args) => _lines.Enqueue(string.Format(CultureInfo.InvariantCulture, format, args));
    }
}

/// <summary>One Redis outage scenario on a Redis server of its own (<see cref="RedisOutageTests"/> runs them).</summary>
public sealed class RedisOutageScenario(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orag-redis-").FullName;
    private readonly int _port = TestPaths.FreePort();
    private Process? _redis;

    /// <summary>Starts this test's Redis: durable (appendonly, fsync on every write) or, like a careless deployment, without persistence.</summary>
    private async Task StartRedisAsync(bool durable = true)
    {
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--port", _port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder, "--save", "",
            "--appendonly", durable ? "yes" : "no", "--appendfsync", "always" })
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

    private readonly string _serviceId = "redis-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>This test's Redis, then a silo storing in it (short Redis timeouts, a service id of its own), ready.</summary>
    private async Task<SiloProcess> StartSiloOnOwnRedisAsync(bool durable = true)
    {
        await StartRedisAsync(durable);
        return await StartSiloAsync();
    }

    private async Task<SiloProcess> StartSiloAsync(IReadOnlyDictionary<string, string>? cluster = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Cluster:Storage"] = "Redis",
            ["Cluster:RedisConnectionString"] = $"127.0.0.1:{_port},connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000",
            ["Cluster:ServiceId"] = _serviceId,
            ["Ingestion:KeepSources"] = "false",
        };
        foreach (var (key, value) in cluster ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var silo = SiloProcess.Start(settings);
        await silo.WaitReadyAsync(TimeSpan.FromSeconds(120));
        return silo;
    }

    public async Task A_hung_redis_gives_writers_503_never_500_across_silos_reads_answer_throughout_and_nothing_acknowledged_is_lost()
    {
        // Two silos (PostgreSQL membership) on this test's Redis: a write that reaches a document grain on the other silo
        // carries the storage failure back across a grain call.
        await StartRedisAsync();
        var cluster = new Dictionary<string, string>
        {
            ["Cluster:Clustering"] = "AdoNet",
            ["Cluster:PostgresConnectionString"] = ProductionServers.Postgres,
            ["Cluster:ClusterId"] = _serviceId,
        };
        await using var first = await StartSiloAsync(cluster);
        await using var second = await StartSiloAsync(cluster);
        SiloProcess[] silos = [first, second];
        using (var seed = await first.Http.PutAsJsonAsync("v1/collections/hang/documents/seed", new { text = "The harbour log lists every ship that passed the cape." }))
        {
            seed.EnsureSuccessStatusCode();
        }

        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var unexpected = new System.Collections.Concurrent.ConcurrentBag<string>();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var unavailable = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var readFailures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var reads = 0;
        var stopped = false;
        var next = -1;
        var deadline = DateTime.UtcNow.AddSeconds(150);
        using var done = new CancellationTokenSource();

        async Task WriterAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < 400 && DateTime.UtcNow < deadline && !done.IsCancellationRequested)
            {
                var id = $"h{i:D3}";
                var text = $"Hang note {i}: the keeper counted {i * 31 % 97} gulls over pier {i % 5}.";
                using var put = await silos[i % 2].Http.PutAsJsonAsync($"v1/collections/hang/documents/{id}", new { text });
                statuses.AddOrUpdate((int)put.StatusCode, 1, (_, n) => n + 1);
                if (put.IsSuccessStatusCode)
                {
                    acknowledged[id] = text;
                }
                else if (put.StatusCode == HttpStatusCode.ServiceUnavailable && put.Headers.RetryAfter is not null)
                {
                    Interlocked.Increment(ref unavailable);
                    refusals[(await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!] = true;
                }
                else
                {
                    unexpected.Add($"{id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
                }
            }
        }

        async Task ReaderAsync()
        {
            while (!done.IsCancellationRequested && DateTime.UtcNow < deadline)
            {
                var silo = silos[Interlocked.Increment(ref reads) % 2];
                using var search = await silo.Http.PostAsJsonAsync("v1/collections/hang/search", new { query = "ships passing the cape" });
                if (!search.IsSuccessStatusCode)
                {
                    readFailures.Add($"{(Volatile.Read(ref stopped) ? "while hung" : "")} {(int)search.StatusCode} {await search.Content.ReadAsStringAsync()}");
                }
            }
        }

        var writers = Task.WhenAll(WriterAsync(), WriterAsync(), WriterAsync());
        var reader = ReaderAsync();
        await Eventually.WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= 30), TimeSpan.FromSeconds(120), "30 writes before the hang");

        // SIGSTOP: Redis keeps its sockets and answers nothing, until writes have been refused for a while.
        await SignalAsync("STOP");
        Volatile.Write(ref stopped, true);
        try
        {
            await Eventually.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref unavailable) >= 6), TimeSpan.FromSeconds(90), "writes to be refused while Redis hangs");
        }
        finally
        {
            await SignalAsync("CONT");
            Volatile.Write(ref stopped, false);
        }

        var resumed = acknowledged.Count;
        await Eventually.WaitUntilAsync(() => Task.FromResult(acknowledged.Count >= resumed + 20), TimeSpan.FromSeconds(120), "writes to succeed again");
        await done.CancelAsync();
        await writers;
        await reader;

        Assert.True(unexpected.IsEmpty, "writes while Redis hangs must answer 2xx or 503 with Retry-After:\n" + string.Join("\n", unexpected));
        Assert.True(readFailures.IsEmpty, $"{readFailures.Count} of {reads} searches failed:\n" + string.Join("\n", readFailures.Take(10)));
        foreach (var (id, text) in acknowledged)
        {
            var document = await silos[id.GetHashCode(StringComparison.Ordinal) & 1].Http.GetFromJsonAsync<JsonElement>($"v1/collections/hang/documents/{id}");
            Assert.Equal(text, document.GetProperty("text").GetString());
        }

        output.WriteLine($"redis hung under 3 writers on 2 silos: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}; " +
            $"{acknowledged.Count} acknowledged, all stored; {reads} searches, none failed; refusals said: {string.Join(" | ", refusals.Keys)}");
    }

    /// <summary>Stops this test's Redis: SIGKILL (a crash) or SIGTERM (a clean restart, which writes its data out first).</summary>
    private async Task StopRedisAsync(bool crash = true)
    {
        if (crash)
        {
            _redis!.Kill();
        }
        else
        {
            await SignalAsync("TERM");
        }

        await _redis!.WaitForExitAsync();
        _redis.Dispose();
        _redis = null;
    }

    public async Task A_redis_restart_in_the_middle_of_writes_answers_503_never_500_and_keeps_every_acknowledged_document()
    {
        await using var silo = await StartSiloOnOwnRedisAsync();
        var http = silo.Http;
        const int Documents = 80;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var unexpected = new System.Collections.Concurrent.ConcurrentBag<string>();
        var next = -1;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var restarted = new TaskCompletionSource();

        async Task WriterAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Documents && DateTime.UtcNow < deadline)
            {
                var id = $"w{i:D3}";
                var text = $"Restart note {i}: the lighthouse keeper logged {i * 37 % 101} ships passing cape {i % 7}.";
                using var put = await http.PutAsJsonAsync($"v1/collections/restart/documents/{id}", new { text });
                statuses.AddOrUpdate((int)put.StatusCode, 1, (_, n) => n + 1);
                if (put.IsSuccessStatusCode)
                {
                    acknowledged[id] = text;
                }
                else if (put.StatusCode != HttpStatusCode.ServiceUnavailable || put.Headers.RetryAfter is null)
                {
                    unexpected.Add($"{id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
                }

                if (i == Documents / 4)
                {
                    restarted.TrySetResult();
                }
            }
        }

        var writers = Task.WhenAll(WriterAsync(), WriterAsync(), WriterAsync());
        await restarted.Task.WaitAsync(TimeSpan.FromSeconds(120));
        await StopRedisAsync(crash: false);
        await StartRedisAsync();
        await writers;

        Assert.True(unexpected.IsEmpty, "writes during a Redis restart must answer 2xx or 503 with Retry-After:\n" + string.Join("\n", unexpected) + "\nsilo log:\n" + Failures(silo.Output));
        Assert.True(acknowledged.Count > Documents / 4, $"only {acknowledged.Count} writes succeeded");

        // Every acknowledged document is stored: it survives this silo's restart (read back from Redis, not memory).
        await silo.StopAsync(TimeSpan.FromSeconds(30));
        await using var second = await StartSiloAsync();
        foreach (var (id, text) in acknowledged)
        {
            var document = await second.Http.GetFromJsonAsync<JsonElement>($"v1/collections/restart/documents/{id}");
            Assert.Equal(text, document.GetProperty("text").GetString());
        }

        output.WriteLine($"redis restart mid-write: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}; {acknowledged.Count} acknowledged, all stored");
    }

    public async Task A_redis_that_restarts_empty_is_detected_writes_are_refused_and_unchanged_is_never_claimed()
    {
        var silo = await StartSiloOnOwnRedisAsync(durable: false);
        try
        {
            var http = silo.Http;
            var body = new { text = "Puffins nest in burrows on grassy cliff tops." };
            using (var put = await http.PutAsJsonAsync("v1/collections/wiped/documents/puffin", body))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            await StopRedisAsync();
            await StartRedisAsync(durable: false); // everything it held is gone

            // The same document again: Redis no longer has it, so "unchanged" would be a lie. Until the connection is
            // back the answer is "unavailable"; then the lost generation is named.
            JsonElement problem = default;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            do
            {
                using var put = await http.PutAsJsonAsync("v1/collections/wiped/documents/puffin", body);
                var text = await put.Content.ReadAsStringAsync();
                Assert.True(put.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)put.StatusCode}: {text}");
                problem = JsonDocument.Parse(text).RootElement;
                if (problem.GetProperty("title").GetString() == "Storage lost its data")
                {
                    break;
                }

                await Task.Delay(250);
            }
            while (DateTime.UtcNow < deadline);

            Assert.Equal("Storage lost its data", problem.GetProperty("title").GetString());
            Assert.Contains("generation marker", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            using (var delete = await http.DeleteAsync("v1/collections/wiped/documents/puffin"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, delete.StatusCode);
            }

            var ready = await http.GetFromJsonAsync<JsonElement>("ready");
            Assert.Equal("Degraded", ready.GetProperty("status").GetString());
            Assert.Contains("generation marker", ready.ToString(), StringComparison.Ordinal);
            Assert.Contains("lost its data", silo.Output, StringComparison.Ordinal); // logged as critical
        }
        finally
        {
            await silo.DisposeAsync();
        }

        // A restarted silo serves what Redis holds, and the document is ingested anew.
        await using var restarted = await StartSiloAsync();
        using var again = await restarted.Http.PutAsJsonAsync("v1/collections/wiped/documents/puffin", new { text = "Puffins nest in burrows on grassy cliff tops." });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("Healthy", await ReadyStatusAsync(restarted.Http));
    }

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

    /// <summary>The silo log's failures with the lines that follow each (its exception), for a failed assertion's message.</summary>
    private static string Failures(string log)
    {
        var lines = log.Split('\n');
        return string.Join("\n", lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("fail:", StringComparison.Ordinal))
            .SelectMany(l => lines.Skip(l.i).Take(25)).Take(200));
    }
}
