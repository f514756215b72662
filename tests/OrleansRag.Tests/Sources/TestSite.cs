using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansRag.Tests.Sources;

/// <summary>
/// A small web site on 127.0.0.1 (real Kestrel, real HTTP): pages with their types, redirects, and a switch that drops
/// the connection for chosen paths (a site that fails part-way); it counts every request by path.
/// </summary>
public sealed class TestSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestSite(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentDictionary<string, (string ContentType, string Body)> Pages { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> Redirects { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Hits { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths answered with a status code of their own (a 500, a 429) while set.</summary>
    public ConcurrentDictionary<string, int> Statuses { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths whose requests are cut off (the connection aborted) while set.</summary>
    public ConcurrentDictionary<string, bool> Broken { get; } = new(StringComparer.Ordinal);

    public int TotalHits => Hits.Values.Sum();

    public static async Task<TestSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var site = new TestSite(app);
        app.Run(async context =>
        {
            var path = context.Request.Path + context.Request.QueryString;
            site.Hits.AddOrUpdate(path, 1, (_, n) => n + 1);
            if (site.Broken.ContainsKey(path))
            {
                context.Abort();
                return;
            }

            if (site.Statuses.TryGetValue(path, out var status))
            {
                context.Response.StatusCode = status;
                return;
            }

            if (site.Redirects.TryGetValue(path, out var target))
            {
                context.Response.Redirect(target);
                return;
            }

            if (!site.Pages.TryGetValue(path, out var page))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.ContentType = page.ContentType;
            await context.Response.WriteAsync(page.Body);
        });
        await app.StartAsync();
        site.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        return site;
    }

    public void Html(string path, string title, string body) =>
        Pages[path] = ("text/html; charset=utf-8", $"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
