using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Production;

/// <summary>
/// One real silo process (<c>dotnet OrleansRag.Silo.dll</c>, the same program <c>dotnet run --project silo</c>
/// starts) on loopback ports of its own, configured through command-line settings.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, int httpPort, int siloPort, int gatewayPort)
    {
        _process = process;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public int HttpPort { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a silo with the given settings (key = configuration path, e.g. "Cluster:Storage").</summary>
    public static SiloProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var httpPort = TestPaths.FreePort();
        var siloPort = TestPaths.FreePort();
        var gatewayPort = TestPaths.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "OrleansRag.Silo.dll"));
        var all = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{httpPort}",
            ["Cluster:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Samples:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Embedding:IntraOpThreads"] = "1",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value);
        }

        var process = Process.Start(start)!;
        var silo = new SiloProcess(process, httpPort, siloPort, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Waits until /ready answers 200; throws with the silo's output when it does not in time.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Silo on port {HttpPort} exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync("ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Silo on port {HttpPort} was not ready within {timeout}:\n{Output}");
    }

    /// <summary>kill -9: no shutdown, no goodbye to the cluster.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM and wait: a graceful shutdown, as an orchestrator does it.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>Waits for the process to exit on its own (a silo that refuses to start).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync();
        }

        Http.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
