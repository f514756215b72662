using System.Net;
using Microsoft.AspNetCore.Authentication;
using Orleans.Dashboard;
using OrleansRag.Security;
using OrleansRag.Silo.Security;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// The Orleans Dashboard (grains, silos, call rates) at <c>Dashboard:Path</c> (default /dashboard). It can show
/// grain state, so by default it answers only requests from loopback addresses (403 otherwise);
/// <c>Dashboard:AllowRemote=true</c> lets remote clients in with an admin API key, <c>Dashboard:Enabled=false</c> removes it.
/// <c>Dashboard:Port</c> (for example 8081, with Urls listening there too) serves it on that port only, so that a
/// deployment can give it its own Service; <c>kubectl port-forward</c> arrives from loopback inside the pod.
/// </summary>
public static class DashboardExtensions
{
    public static WebApplicationBuilder AddRagDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Options(builder.Configuration).Enabled)
        {
            builder.UseOrleans(silo => silo.AddDashboard(o =>
            {
                o.HideTrace = true;
                o.CounterUpdateIntervalMs = 1000;
            }));
        }

        return builder;
    }

    public static WebApplication MapRagDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = Options(app.Configuration);
        if (!options.Enabled)
        {
            return app;
        }

        var allowRemote = options.AllowRemote;
        var dashboard = app.MapOrleansDashboard(options.Path);
        if (options.Port is { } port)
        {
            dashboard.RequireHost($"*:{port}");
        }

        dashboard.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote))
            {
                return await next(context); // the operator on the machine, or kubectl port-forward
            }

            if (!allowRemote)
            {
                return Results.Problem(detail: "The dashboard answers loopback requests only (Dashboard:AllowRemote).", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
            }

            // Remote: an admin key, as Bearer/X-Api-Key or as the password of Basic authentication, which a
            // browser asks for and then sends with every request of the dashboard's page.
            var result = await http.AuthenticateAsync();
            if (result.Succeeded && ApiKeyAuthenticationHandler.PrincipalOf(result.Principal!)?.Has(RagRole.Admin) == true)
            {
                return await next(context);
            }

            if (!result.Succeeded)
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"OrleansRag dashboard: an admin API key as the password\"";
                return Results.Problem(detail: "The dashboard needs an admin API key.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
            }

            return Results.Problem(detail: "The dashboard needs an admin API key.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
        });
        return app;
    }

    private static DashboardOptions Options(IConfiguration configuration) =>
        StartupOptions.Get<DashboardOptions>(configuration, DashboardOptions.SectionName);
}
