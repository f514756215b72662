using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OrleansRag.Client;
using OrleansRag.Security;
using OrleansRag.Silo.Hosting;

namespace OrleansRag.Silo.Security;

/// <summary>
/// API keys with roles at the HTTP edge, per-key rate and concurrency limits, the tenant-scoped
/// <see cref="IRagClient"/> of each request, and "secure by default": without keys the silo serves loopback only.
/// </summary>
public static class SecurityExtensions
{
    public const string Reader = "reader";
    public const string Writer = "writer";
    public const string Admin = "admin";

    public static WebApplicationBuilder AddRagSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = StartupOptions.Get<SecurityOptions>(builder.Configuration, SecurityOptions.SectionName);
        if (options.ApiKeys.Count == 0 && ExposedAddress(builder.Configuration) is { } exposed)
        {
            throw new RagStartupException(
                $"no API keys are configured (Security:ApiKeys) and the silo would be reachable at {exposed}. " +
                "Create keys with `orag keys create --tenant <t> --role admin` and configure their hashes, or bind to 127.0.0.1.");
        }

        var services = builder.Services;
        if (options.ApiKeys.Count == 0)
        {
            // Without keys nothing else stops a web page from reaching the API through DNS rebinding (a name of the
            // attacker's that resolves to 127.0.0.1): only loopback host names are served, unless AllowedHosts says otherwise.
            services.PostConfigure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(hosts =>
            {
                if (hosts.AllowedHosts.Count == 0 || hosts.AllowedHosts.All(h => h == "*"))
                {
                    hosts.AllowedHosts = ["localhost", "127.0.0.1", "[::1]"];
                }
            });
        }

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Reader, policy => policy.RequireAuthenticatedUser().RequireAssertion(context => Has(context, RagRole.Reader)))
            .AddPolicy(Writer, policy => policy.RequireAuthenticatedUser().RequireAssertion(context => Has(context, RagRole.Writer)))
            .AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().RequireAssertion(context => Has(context, RagRole.Admin)));
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => KeyOf(context) is { } key
                    ? RateLimitPartition.GetTokenBucketLimiter(key.KeyId, _ => Bucket(context, key.Role))
                    : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(context => KeyOf(context) is { } key
                    ? RateLimitPartition.GetConcurrencyLimiter(key.KeyId, _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = Limits(context, key.Role).MaxConcurrentRequests,
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter("")));
            limiter.OnRejected = RejectAsync;
        });

        // Each request's IRagClient is scoped to its key's tenant and forwards the key, which the cluster verifies
        // again (TenantAccessFilter): isolation does not rest on this layer alone.
        services.AddHttpContextAccessor();
        services.AddScoped<IRagClient>(sp =>
        {
            var context = sp.GetRequiredService<IHttpContextAccessor>().HttpContext
                ?? throw new InvalidOperationException("IRagClient is resolved per HTTP request in the silo; use RagClient directly elsewhere.");
            var principal = ApiKeyAuthenticationHandler.PrincipalOf(context.User) ?? RagPrincipal.LocalAdmin;
            return new RagClient(sp.GetRequiredService<IGrainFactory>(), principal.Tenant, ApiKeyAuthenticationHandler.PresentedKey(context));
        });
        return builder;
    }

    /// <summary>Authentication, then the per-key limits (they need the key), then authorization.</summary>
    public static WebApplication UseRagSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();

        // One road into the cluster: every grain call a request makes (alerting, metrics and embeddings included, not
        // only the IRagClient's) carries the caller's key, which the receiving silo verifies again and holds to its
        // tenant and role. Nothing a request does runs as the silo's own internal principal.
        app.Use((context, next) =>
        {
            if (ApiKeyAuthenticationHandler.PresentedKey(context) is { } key)
            {
                RequestContext.Set(RagRequestContext.ApiKey, key);
            }

            return next(context);
        });
        app.UseRateLimiter();
        app.UseAuthorization();
        if (app.Services.GetRequiredService<ApiKeyVerifier>().IsOpen)
        {
            app.Logger.LogWarning(
                "SECURITY: no API keys are configured (Security:ApiKeys). Every request acts as the local admin of tenant '{Tenant}'. " +
                "This is allowed only on loopback addresses; configure keys before exposing the silo.", RagConstants.DefaultTenant);
        }

        return app;
    }

    /// <summary>The first configured address that is not loopback: HTTP URLs, and the Orleans endpoints.</summary>
    public static string? ExposedAddress(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"] ?? ""));
        foreach (var url in urls.Where(u => u.Length > 0))
        {
            var host = url.Split("://", 2)[^1].Split('/')[0];
            host = host.StartsWith('[') ? host[1..host.IndexOf(']', StringComparison.Ordinal)] : host.Split(':')[0];
            if (!host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !(IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)))
            {
                return url;
            }
        }

        if (!string.IsNullOrEmpty(configuration["http_ports"]) || !string.IsNullOrEmpty(configuration["https_ports"]))
        {
            return "every interface (ASPNETCORE_HTTP_PORTS)";
        }

        var cluster = SiloHostingExtensions.Bind(configuration);
        if (cluster.KubernetesHosting || cluster.ListenOnAnyHostAddress)
        {
            return "every interface (Orleans gateway)";
        }

        return IPAddress.TryParse(cluster.AdvertisedIPAddress, out var advertised) && !IPAddress.IsLoopback(advertised)
            ? $"{advertised} (Orleans gateway)"
            : null;
    }

    private static bool Has(AuthorizationHandlerContext context, RagRole role) =>
        ApiKeyAuthenticationHandler.PrincipalOf(context.User)?.Has(role) == true;

    /// <summary>Only keyed requests to /v1 and /mcp are limited; the open mode and health, ready and metrics are not.</summary>
    private static RagPrincipal? KeyOf(HttpContext context) =>
        (context.Request.Path.StartsWithSegments("/v1") || context.Request.Path.StartsWithSegments(Mcp.McpExtensions.Path))
        && ApiKeyAuthenticationHandler.PresentedKey(context) is not null
            ? ApiKeyAuthenticationHandler.PrincipalOf(context.User)
            : null;

    private static RoleLimits Limits(HttpContext context, RagRole role) =>
        context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.For(role);

    private static TokenBucketRateLimiterOptions Bucket(HttpContext context, RagRole role)
    {
        var limits = Limits(context, role);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = limits.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var key = KeyOf(context);
        var detail = $"Key {key?.KeyId} is over its {key?.Role.ToString().ToLowerInvariant()} limit (requests per second or at once); retry after {retryAfter} s.";
        if (Api.OpenAiErrors.Applies(context))
        {
            await Api.OpenAiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, detail);
            return;
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = detail,
            },
        });
    }
}
