using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansRag.Tests.Infrastructure;

namespace OrleansRag.Tests.Monitoring;

/// <summary>
/// Real notification receivers on 127.0.0.1: an HTTP listener for Alertmanager-style and Slack-style webhooks (and one
/// that always fails), and Debian's aiosmtpd as an SMTP server that requires STARTTLS and authentication.
/// </summary>
public sealed class AlertReceivers : IAsyncDisposable
{
    public const string SmtpUser = "alerts";
    public const string SmtpPassword = "smtp-PASSWORD-8b0e";

    private WebApplication _web = null!;
    private Process _smtp = null!;

    public ConcurrentQueue<JsonElement> Webhook { get; } = new();

    public ConcurrentQueue<JsonElement> Slack { get; } = new();

    /// <summary>Ingestion events as received: the path they came to, their headers and raw body.</summary>
    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)> Ingestion { get; } = new();

    /// <summary>Calls to /ingestion-flaky, which refuses every event's first delivery (500) and takes the retry.</summary>
    public int FlakyCalls => _flakyCalls;

    private int _flakyCalls;
    private readonly ConcurrentDictionary<string, bool> _refusedOnce = new(StringComparer.Ordinal);

    public int BrokenCalls => _brokenCalls;

    private int _brokenCalls;

    public Uri BaseAddress { get; private set; } = null!;

    public int SmtpPort { get; } = TestPaths.FreePort();

    public string SmtpThumbprint { get; private set; } = "";

    public DirectoryInfo Folder { get; } = Directory.CreateTempSubdirectory("orleansrag-alerts-");

    public string MailDirectory => Path.Combine(Folder.FullName, "mail");

    public static async Task<AlertReceivers> StartAsync()
    {
        var receivers = new AlertReceivers();
        await receivers.StartWebAsync();
        await receivers.StartSmtpAsync();
        return receivers;
    }

    /// <summary>The e-mails received so far (raw, with the server's X-Test-Tls / X-Test-Auth lines on top).</summary>
    public string[] Mails() => Directory.Exists(MailDirectory)
        ? [.. Directory.GetFiles(MailDirectory, "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllText)]
        : [];

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync();
        await _web.DisposeAsync();
        if (!_smtp.HasExited)
        {
            _smtp.StandardInput.Close();
            if (!_smtp.WaitForExit(5000))
            {
                _smtp.Kill(entireProcessTree: true);
            }
        }

        _smtp.Dispose();
        Folder.Delete(recursive: true);
    }

    private async Task StartWebAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _web = builder.Build();
        _web.MapPost("/alertmanager", async (HttpRequest request) =>
        {
            Webhook.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body));
            return Results.Ok();
        });
        _web.MapPost("/slack", async (HttpRequest request) =>
        {
            Slack.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body));
            return Results.Text("ok");
        });
        foreach (var path in new[] { "/ingestion", "/ingestion-failures", "/ingestion-flaky" })
        {
            _web.MapPost(path, async (HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                if (path == "/ingestion-flaky")
                {
                    Interlocked.Increment(ref _flakyCalls);
                    if (_refusedOnce.TryAdd(headers.GetValueOrDefault("X-OrleansRag-Delivery", ""), true))
                    {
                        return Results.StatusCode(500);
                    }
                }

                Ingestion.Enqueue((path, headers, body.ToArray()));
                return Results.Ok();
            });
        }

        _web.MapPost("/broken", () =>
        {
            Interlocked.Increment(ref _brokenCalls);
            return Results.StatusCode(500);
        });
        await _web.StartAsync();
        BaseAddress = new Uri(_web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    private async Task StartSmtpAsync()
    {
        Directory.CreateDirectory(MailDirectory);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        SmtpThumbprint = certificate.Thumbprint;
        var certPath = Path.Combine(Folder.FullName, "smtp.pem");
        var keyPath = Path.Combine(Folder.FullName, "smtp.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, rsa.ExportPkcs8PrivateKeyPem());

        Assert.True(File.Exists("/usr/bin/python3"), "python3 is missing (Debian: apt-get install python3-aiosmtpd; test.sh does it).");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { TestPaths.Repository("tests", "tools", "smtp_server.py"), SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), certPath, keyPath, SmtpUser, SmtpPassword, MailDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        _smtp = Process.Start(start)!;

        // Ready when it accepts connections (bounded).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            Assert.False(_smtp.HasExited, "the SMTP server exited (is python3-aiosmtpd installed? test.sh installs it)");
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, SmtpPort);
                break;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
