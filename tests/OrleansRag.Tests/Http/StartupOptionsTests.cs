using Microsoft.Extensions.Configuration;
using OrleansRag.Silo;
using OrleansRag.Silo.Hosting;

namespace OrleansRag.Tests.Http;

/// <summary>Options the host reads while it is composed are checked then, with one line that names the setting.</summary>
public sealed class StartupOptionsTests
{
    [Theory]
    [InlineData("Dashboard:Port", "0", "Dashboard:Port The field Port must be between 1 and 65535.")]
    [InlineData("Dashboard:Path", "dashboard", "Dashboard:Path must be a path that starts with '/'.")]
    [InlineData("Dashboard:AllowRemote", "sometimes", "Dashboard:AllowRemote must be true or false; it was 'sometimes'.")]
    public void A_dashboard_setting_that_cannot_work_stops_the_host_naming_it(string key, string value, string expected)
    {
        var error = Assert.Throws<RagStartupException>(() => RagHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value, ["Samples:Enabled"] = "false" })));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
