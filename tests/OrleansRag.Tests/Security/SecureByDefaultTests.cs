using System.Collections.Concurrent;
using OrleansRag.Security;
using OrleansRag.Silo;
using OrleansRag.Silo.Hosting;
using OrleansRag.Tests.Generation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace OrleansRag.Tests.Security;

/// <summary>Like Redis' protected mode: without keys the silo serves loopback only, and says so loudly.</summary>
public sealed class SecureByDefaultTests
{
    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://+:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://10.1.2.3:8080")]
    [InlineData("http://127.0.0.1:0;http://[::]:0")]
    public void Without_keys_a_silo_bound_beyond_loopback_refuses_to_start_and_says_why(string urls)
    {
        var error = Assert.Throws<RagStartupException>(() => RagHost.Build(["--urls", urls, "--Samples:Enabled", "false"]));
        Assert.Contains("no API keys are configured (Security:ApiKeys)", error.Message, StringComparison.Ordinal);
        Assert.Contains("orag keys create", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_keys_an_exposed_orleans_gateway_also_refuses_to_start()
    {
        var error = Assert.Throws<RagStartupException>(() => RagHost.Build(
            ["--urls", "http://127.0.0.1:0", "--Cluster:ListenOnAnyHostAddress", "true", "--Samples:Enabled", "false"]));
        Assert.Contains("Orleans gateway", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_keys_it_may_bind_anywhere_and_on_loopback_without_keys_it_warns_loudly()
    {
        var (_, id, hash) = ApiKeys.Create();
        await using (RagHost.Build(["--urls", "http://0.0.0.0:0", "--Security:ApiKeys:0:Id", id, "--Security:ApiKeys:0:Tenant", "t",
            "--Security:ApiKeys:0:Hash", hash, "--Security:ClusterSecret", SecuredHostFixture.ClusterSecret, "--Samples:Enabled", "false"]))
        {
        }

        var logs = new ConcurrentQueue<string>();
        await using (RagHost.Build(["--urls", "http://127.0.0.1:0", "--Samples:Enabled", "false"], builder => builder.Logging.AddProvider(new CapturingLoggerProvider(logs))))
        {
        }

        Assert.Contains(logs, line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains("SECURITY: no API keys are configured", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Id", "short", "Security:ApiKeys:0:Id must be the 12-character id")]
    [InlineData("Hash", "orag_plaintext_key", "Security:ApiKeys:0:Hash must be \"sha256:\"")]
    [InlineData("Tenant", "a/b", "Security:ApiKeys:0:Tenant")]
    public async Task A_malformed_key_entry_stops_the_silo_with_a_message_naming_it(string field, string value, string expected)
    {
        var (_, id, hash) = ApiKeys.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Security:ApiKeys:0:Id"] = id,
            ["Security:ApiKeys:0:Tenant"] = "t",
            ["Security:ApiKeys:0:Hash"] = hash,
            ["Security:ClusterSecret"] = SecuredHostFixture.ClusterSecret,
            [$"Security:ApiKeys:0:{field}"] = value,
            ["Samples:Enabled"] = "false",
        };
        var error = Assert.Throws<OrleansRag.Silo.Hosting.RagStartupException>(
            () => RagHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(settings)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData(null, "Security:ClusterSecret is required when API keys are configured")]
    [InlineData("change-me-to-a-random-secret", "still the placeholder")]
    [InlineData("short-secret", "too weak")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too weak")]
    public void Keys_without_a_real_cluster_secret_stop_the_silo_with_a_message_naming_it(string? secret, string expected)
    {
        var (_, id, hash) = ApiKeys.Create();
        var settings = new Dictionary<string, string?>
        {
            ["Security:ApiKeys:0:Id"] = id,
            ["Security:ApiKeys:0:Tenant"] = "t",
            ["Security:ApiKeys:0:Hash"] = hash,
            ["Security:ClusterSecret"] = secret,
            ["Samples:Enabled"] = "false",
        };
        var error = Assert.Throws<OrleansRag.Silo.Hosting.RagStartupException>(
            () => RagHost.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(settings)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
