using System.Net;
using System.Net.Http.Json;

namespace OrleansRag.Tests.Production;

/// <summary>
/// The shipped logging settings on the real silo process: OrleansRag's own information lines (the audit log among
/// them) are written, while Orleans' chatter stays at warnings. (A filter for "Orleans" also matches every
/// "OrleansRag…" category, so OrleansRag needs its own entry.)
/// </summary>
public sealed class SiloLoggingTests
{
    [Fact]
    public async Task Audit_and_information_lines_of_OrleansRag_reach_the_silo_log()
    {
        // The shipped appsettings.json, except the default level SiloProcess lowers to keep test output short.
        await using var silo = SiloProcess.Start(new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Information" });
        await silo.WaitReadyAsync(TimeSpan.FromMinutes(2));
        using (var put = await silo.Http.PutAsJsonAsync("v1/collections/logged/documents/one", new { text = "Audit lines name the key, tenant and outcome." }))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        await Infrastructure.Eventually.WaitUntilAsync(
            () => Task.FromResult(silo.Output.Contains("audit document.upsert /v1/collections/logged/documents/one -> 201", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the upsert's audit line in the silo log");

        Assert.Contains("OrleansRag.Audit", silo.Output, StringComparison.Ordinal);
        Assert.Contains("audit document.upsert /v1/collections/logged/documents/one -> 201", silo.Output, StringComparison.Ordinal);
        Assert.Contains("info: OrleansRag.Embedding.EmbeddingService", silo.Output, StringComparison.Ordinal); // "model loaded"
        Assert.DoesNotContain("info: Orleans.Runtime", silo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_healthy_first_start_logs_no_failure_even_while_ready_is_polled()
    {
        // As a newcomer starts it (samples on, the shipped levels), with /ready polled from the first moment, as the
        // README's users, compose and Kubernetes do: "not ready yet" is what /ready answers, not an error in the log.
        await using var silo = SiloProcess.Start(new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Information", ["Samples:Enabled"] = "true" });
        await silo.WaitReadyAsync(TimeSpan.FromMinutes(2));
        var output = silo.Output;
        Assert.Contains("OrleansRag is ready at", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", output, StringComparison.Ordinal);
    }
}
