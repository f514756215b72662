using OrleansRag.Hosting;
using OrleansRag.Silo.Api;
using OrleansRag.Silo.Hosting;
using OrleansRag.Silo.Mcp;
using OrleansRag.Silo.Samples;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo;

/// <summary>Builds the OrleansRag host: an Orleans silo with the HTTP API co-hosted on the same process.</summary>
public static class RagHost
{
    /// <summary>
    /// The production host as <c>dotnet run --project silo</c> starts it. <paramref name="configure"/> lets tests and
    /// benchmarks adjust configuration or services before the host is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        builder.UseRagSilo();
        builder.AddRagTelemetry();
        builder.AddRagDashboard();
        builder.AddRagSecurity(); // also the per-request, tenant-scoped IRagClient
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddRagApi();
        builder.Services.AddRagMcp();
        builder.Services.AddRagOpenApi();
        builder.Services.AddRagHealthChecks();
        builder.Services.AddSampleCorpus(builder.Configuration);

        var app = builder.Build();
        foreach (var key in ConfigurationSchema.UnknownKeys(app.Configuration))
        {
            app.Logger.LogWarning("Configuration key {Key} is not a setting OrleansRag reads; check its spelling.", key);
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles(); // the web page (wwwroot/index.html) at /; it calls the public API like any program
        app.UseStaticFiles(new StaticFileOptions
        {
            // The page loads only its own files and cannot be framed (it holds the user's API key for the session).
            OnPrepareResponse = file =>
            {
                file.Context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                file.Context.Response.Headers.XContentTypeOptions = "nosniff";
            },
        });
        app.UseRagSecurity();
        app.MapRagHealth();
        app.MapRagTelemetry();
        app.MapRagDashboard();
        app.MapRagApi();
        app.MapRagMcp();
        app.MapRagApiDescription();
        return app;
    }
}
