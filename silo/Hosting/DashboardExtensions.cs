using System.Net;
using Orleans.Dashboard;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// The Orleans Dashboard (grains, silos, call rates) at <c>Dashboard:Path</c> (default /dashboard). It can show
/// grain state, so by default it answers only requests from loopback addresses (403 otherwise) until API-key
/// roles exist (security issue); <c>Dashboard:AllowRemote=true</c> lifts that, <c>Dashboard:Enabled=false</c> removes it.
/// </summary>
public static class DashboardExtensions
{
    public static WebApplicationBuilder AddRagDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration.GetValue("Dashboard:Enabled", true))
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
        if (!app.Configuration.GetValue("Dashboard:Enabled", true))
        {
            return app;
        }

        var allowRemote = app.Configuration.GetValue("Dashboard:AllowRemote", false);
        app.MapOrleansDashboard(app.Configuration["Dashboard:Path"] ?? "/dashboard")
            .AddEndpointFilter(async (context, next) =>
                allowRemote || context.HttpContext.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote)
                    ? await next(context)
                    : Results.Problem(detail: "The dashboard answers loopback requests only (Dashboard:AllowRemote).", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"));
        return app;
    }
}
