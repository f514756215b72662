using System.Net;
using Orleans.Dashboard;

namespace OrleansRag.Silo.Hosting;

/// <summary>
/// The Orleans Dashboard (grains, silos, call rates) at <c>Dashboard:Path</c> (default /dashboard). It can show
/// grain state, so by default it answers only requests from loopback addresses (403 otherwise) until API-key
/// roles exist (security issue); <c>Dashboard:AllowRemote=true</c> lifts that, <c>Dashboard:Enabled=false</c> removes it.
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
            allowRemote || context.HttpContext.Connection.RemoteIpAddress is not { } remote || IPAddress.IsLoopback(remote)
                ? await next(context)
                : Results.Problem(detail: "The dashboard answers loopback requests only (Dashboard:AllowRemote).", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"));
        return app;
    }

    private static DashboardOptions Options(IConfiguration configuration) =>
        configuration.GetSection(DashboardOptions.SectionName).Get<DashboardOptions>() ?? new DashboardOptions();
}
