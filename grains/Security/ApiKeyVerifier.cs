using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansRag.Security;

/// <summary>
/// Verifies presented API keys against the configured hashes in constant time (the same work for unknown ids,
/// malformed keys and wrong secrets) and gives the key's principal.
/// </summary>
public sealed class ApiKeyVerifier
{
    private static readonly byte[] Unknown = new byte[32];
    private readonly Dictionary<string, (byte[] Hash, RagPrincipal Principal)> _keys;

    public ApiKeyVerifier(IOptions<SecurityOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.Value.ApiKeys.ToDictionary(
            entry => entry.Id,
            entry => (Convert.FromHexString(entry.Hash.AsSpan(ApiKeys.HashPrefix.Length)), new RagPrincipal(entry.Id, entry.Tenant, entry.Role)),
            StringComparer.Ordinal);
    }

    /// <summary>No keys are configured: the embedded default's open mode, where every caller is the local admin.</summary>
    public bool IsOpen => _keys.Count == 0;

    /// <summary>The key's principal, or null for a malformed, unknown or wrong key.</summary>
    public RagPrincipal? Verify(string? presented)
    {
        var wellFormed = ApiKeys.TryGetId(presented, out var id);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented ?? ""));
        var known = _keys.TryGetValue(id, out var entry);
        var equal = CryptographicOperations.FixedTimeEquals(hash, known ? entry.Hash : Unknown);
        return wellFormed && known && equal ? entry.Principal : null;
    }
}
