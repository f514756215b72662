using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Silo.Hosting;

/// <summary>Configuration section "Dashboard": the Orleans Dashboard on the silo.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Dashboard";

    public bool Enabled { get; set; } = true;

    /// <summary>Where the dashboard is mapped.</summary>
    [RegularExpression("^/[^?#]*$", ErrorMessage = "must be a path that starts with '/'.")]
    public string Path { get; set; } = "/dashboard";

    /// <summary>Serve it only on this port (Urls must listen there too), for a Service of its own.</summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    /// <summary>Answer non-loopback clients too (by default only loopback clients get it).</summary>
    public bool AllowRemote { get; set; }
}
