using System.ComponentModel.DataAnnotations;

namespace OrleansRag.Security;

/// <summary>Configuration section "Security": API keys, per-role rate limits and request limits.</summary>
public sealed class SecurityOptions : IValidatableObject
{
    public const string SectionName = "Security";

    /// <summary>The keys that may call the service. None: the embedded default's open mode (loopback only).</summary>
    public IList<ApiKeyEntry> ApiKeys { get; } = [];

    /// <summary>
    /// Secret that silos sign the caller's identity with as it travels between grains: the same on every silo, at least
    /// <see cref="MinClusterSecretLength"/> random characters (<c>openssl rand -base64 32</c>), required with API keys.
    /// Being independent of the key list, it lets keys change one silo at a time.
    /// </summary>
    public string? ClusterSecret { get; set; }

    public const int MinClusterSecretLength = 32;


    public RoleLimits Reader { get; set; } = new();

    public RoleLimits Writer { get; set; } = new();

    public RoleLimits Admin { get; set; } = new() { PermitsPerSecond = 50, Burst = 100 };

    public RoleLimits For(RagRole role) => role switch
    {
        RagRole.Admin or RagRole.Operator => Admin,
        RagRole.Writer => Writer,
        _ => Reader,
    };

    /// <summary>Why a cluster secret will not do; null when it will.</summary>
    public static string? ClusterSecretProblem(string? secret) =>
        string.IsNullOrWhiteSpace(secret)
            ? $"{SectionName}:ClusterSecret is required when API keys are configured: at least {MinClusterSecretLength} random characters, the same on every silo (for example `openssl rand -base64 32`)."
            : secret.Contains("change-me", StringComparison.OrdinalIgnoreCase)
                ? $"{SectionName}:ClusterSecret is still the placeholder deploy/kubernetes/secret.yaml ships with; set a random value (`openssl rand -base64 32`)."
                : secret.Length < MinClusterSecretLength || secret.Distinct().Count() < 8
                    ? $"{SectionName}:ClusterSecret is too weak: use at least {MinClusterSecretLength} random characters (`openssl rand -base64 32`)."
                    : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var entry = ApiKeys[i];
            var at = $"{SectionName}:ApiKeys:{i}";
            if (!Security.ApiKeys.IsValidId(entry.Id))
            {
                yield return new ValidationResult($"{at}:Id must be the 12-character id `orag keys create` printed.", [nameof(ApiKeys)]);
            }
            else if (!seen.Add(entry.Id))
            {
                yield return new ValidationResult($"{at}:Id '{entry.Id}' is configured twice.", [nameof(ApiKeys)]);
            }

            if (RagValidation.CheckId("tenant", entry.Tenant ?? "") is { } tenantProblem)
            {
                yield return new ValidationResult($"{at}:Tenant: {tenantProblem}", [nameof(ApiKeys)]);
            }

            if (!Security.ApiKeys.IsValidHash(entry.Hash))
            {
                yield return new ValidationResult($"{at}:Hash must be \"sha256:\" and 64 lower-case hex digits (the hash, never the key).", [nameof(ApiKeys)]);
            }
        }

        if (ApiKeys.Count > 0 && ClusterSecretProblem(ClusterSecret) is { } secretProblem)
        {
            yield return new ValidationResult(secretProblem, [nameof(ClusterSecret)]);
        }

        foreach (var (name, limits) in new[] { ("Reader", Reader), ("Writer", Writer), ("Admin", Admin) })
        {
            if (limits.PermitsPerSecond <= 0 || limits.Burst <= 0 || limits.MaxConcurrentRequests <= 0)
            {
                yield return new ValidationResult($"{SectionName}:{name}: PermitsPerSecond, Burst and MaxConcurrentRequests must be positive.", [name]);
            }
        }
    }
}

/// <summary>One configured API key: its id, tenant, role and the SHA-256 of the key (never the key).</summary>
public sealed class ApiKeyEntry
{
    public string Id { get; set; } = "";

    public string Tenant { get; set; } = "";

    public RagRole Role { get; set; } = RagRole.Reader;

    public string Hash { get; set; } = "";
}

/// <summary>Per-key limits of one role: a token bucket (sustained rate and burst) and concurrent requests.</summary>
public sealed class RoleLimits
{
    public int PermitsPerSecond { get; set; } = 20;

    public int Burst { get; set; } = 40;

    public int MaxConcurrentRequests { get; set; } = 8;
}
