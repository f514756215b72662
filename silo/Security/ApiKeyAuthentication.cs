using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OrleansRag.Security;

namespace OrleansRag.Silo.Security;

/// <summary>
/// Authenticates requests by API key: <c>Authorization: Bearer &lt;key&gt;</c>, <c>X-Api-Key: &lt;key&gt;</c>, or the
/// password of <c>Authorization: Basic</c> (so a browser can open the dashboard with a key). No key: 401 with
/// <c>WWW-Authenticate: Bearer</c>; a key without the role: 403. Without configured keys (the embedded default on
/// loopback) every request is the local admin of the default tenant.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyVerifier keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "orleansrag:tenant";
    private const string KeyItem = "orleansrag:api-key";

    /// <summary>The verified key of this request, forwarded into the cluster (null in open mode).</summary>
    public static string? PresentedKey(HttpContext context) => context?.Items[KeyItem] as string;

    /// <summary>The request's principal (key id, tenant, role), or null when it is not authenticated.</summary>
    public static RagPrincipal? PrincipalOf(ClaimsPrincipal user) =>
        user?.Identity?.IsAuthenticated == true
        && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } id && user.FindFirstValue(TenantClaim) is { } tenant
        && Enum.TryParse<RagRole>(user.FindFirstValue(ClaimTypes.Role), out var role)
            ? new RagPrincipal(id, tenant, role)
            : null;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (keys.IsOpen)
        {
            return Task.FromResult(Success(RagPrincipal.LocalAdmin));
        }

        var (presented, problem) = Presented(Request.Headers);
        if (problem is not null)
        {
            return Task.FromResult(AuthenticateResult.Fail(problem));
        }

        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Verify(presented) is not { } principal)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        Context.Items[KeyItem] = presented;
        return Task.FromResult(Success(principal));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        if (Api.OpenAiErrors.Applies(Context))
        {
            await Api.OpenAiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized, failure ?? "An API key is required: Authorization: Bearer <key>.");
            return;
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = failure ?? "An API key is required: Authorization: Bearer <key> or X-Api-Key: <key>.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var principal = PrincipalOf(Context.User);
        Response.StatusCode = StatusCodes.Status403Forbidden;
        if (Api.OpenAiErrors.Applies(Context))
        {
            await Api.OpenAiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, $"The key's role ({principal?.Role.ToString().ToLowerInvariant() ?? "none"}) does not allow this.");
            return;
        }

        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = $"The key's role ({principal?.Role.ToString().ToLowerInvariant() ?? "none"}) does not allow this.",
            },
        });
    }

    private static AuthenticateResult Success(RagPrincipal principal)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, principal.KeyId),
                new Claim(TenantClaim, principal.Tenant),
                new Claim(ClaimTypes.Role, principal.Role.ToString()),
            ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>The key from the request's headers; a problem when they are contradictory or malformed.</summary>
    private static (string? Key, string? Problem) Presented(IHeaderDictionary headers)
    {
        var candidates = new List<string>();
        foreach (var value in headers.Authorization)
        {
            if (!AuthenticationHeaderValue.TryParse(value, out var header))
            {
                return (null, "The Authorization header is malformed.");
            }

            if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                candidates.Add(header.Parameter ?? "");
            }
            else if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && BasicPassword(header.Parameter) is { } password)
            {
                candidates.Add(password);
            }
            else
            {
                return (null, "Use Authorization: Bearer <key> (or X-Api-Key).");
            }
        }

        candidates.AddRange(headers["X-Api-Key"].Select(v => v ?? ""));
        return candidates.Distinct(StringComparer.Ordinal).Count() switch
        {
            0 => (null, null),
            1 => (candidates[0].Trim(), null),
            _ => (null, "The request carries more than one API key."),
        };
    }

    private static string? BasicPassword(string? parameter)
    {
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter ?? ""));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
