using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OrleansRag.Security;

namespace OrleansRag.Tests.Security;

/// <summary>
/// The dashboard from a non-loopback client: refused unless Dashboard:AllowRemote, and then only with an admin key
/// (Bearer, or a browser's Basic authentication whose password is the key). Requests stay on 127.0.0.1; a test-only
/// start-up filter presents those carrying X-Test-Remote-Ip as coming from that address.
/// </summary>
public sealed class DashboardAccessTests(DashboardAccessTests.RemoteDashboardHost host) : IClassFixture<DashboardAccessTests.RemoteDashboardHost>
{
    public sealed class RemoteDashboardHost : SecuredHostFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> LimitSettings() => [new("Dashboard:AllowRemote", "true")];

        protected override void Configure(WebApplicationBuilder builder)
        {
            base.Configure(builder);
            builder.Services.AddTransient<IStartupFilter, PretendRemoteClients>();
        }
    }

    private sealed class PretendRemoteClients : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue("X-Test-Remote-Ip", out var ip))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(ip.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    [Fact]
    public async Task Remote_dashboard_clients_need_an_admin_key()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(remote: false, authorization: null)); // loopback: the operator on the machine

        using (var anonymous = await SendAsync(remote: true, authorization: null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme); // a browser asks for the key
        }

        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(remote: true, new AuthenticationHeaderValue("Bearer", host.Keys["alpha"][RagRole.Writer].Key)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(remote: true, new AuthenticationHeaderValue("Bearer", host.Keys["alpha"][RagRole.Admin].Key + "x")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(remote: true, new AuthenticationHeaderValue("Bearer", host.Keys["beta"][RagRole.Admin].Key)));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"operator:{host.Keys["alpha"][RagRole.Admin].Key}"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(remote: true, new AuthenticationHeaderValue("Basic", basic)));
    }

    private async Task<HttpStatusCode> StatusAsync(bool remote, AuthenticationHeaderValue? authorization)
    {
        using var response = await SendAsync(remote, authorization);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> SendAsync(bool remote, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "dashboard/DashboardCounters");
        request.Headers.Authorization = authorization;
        if (remote)
        {
            request.Headers.Add("X-Test-Remote-Ip", "10.20.30.40");
        }

        return await host.Http.SendAsync(request);
    }
}
