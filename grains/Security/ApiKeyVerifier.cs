using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansRag.Security;

/// <summary>
/// Verifies presented API keys against the configured hashes in constant time (the same work for unknown ids,
/// malformed keys and wrong secrets) and gives the key's principal. Also signs the principal that travels with a
/// request from grain to grain: an HMAC-SHA256, keyed by a secret only silos hold, over the principal and the grain
/// it is sent to, so that nothing outside the cluster can make up (or move to another grain) a principal or the
/// internal caller, whatever identity its connection claims.
/// </summary>
public sealed class ApiKeyVerifier
{
    private static readonly byte[] Unknown = new byte[32];
    private readonly Dictionary<string, (byte[] Hash, RagPrincipal Principal)> _keys;
    private readonly byte[] _signingKey;

    public ApiKeyVerifier(IOptions<SecurityOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = options.Value.ApiKeys.ToDictionary(
            entry => entry.Id,
            entry => (Convert.FromHexString(entry.Hash.AsSpan(ApiKeys.HashPrefix.Length)), new RagPrincipal(entry.Id, entry.Tenant, entry.Role)),
            StringComparer.Ordinal);

        // Security:ClusterSecret, required with keys (SecurityOptions); the open mode signs nothing.
        _signingKey = SHA256.HashData(Encoding.UTF8.GetBytes("orleansrag-secret\n" + options.Value.ClusterSecret));
    }

    /// <summary>The signature of <paramref name="principal"/> (its context value) for a call to <paramref name="target"/>.</summary>
    public string Sign(string principal, GrainId target) =>
        Convert.ToBase64String(HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes($"{principal}\n{target}")));

    /// <summary>Whether <paramref name="signature"/> was made by a silo of this cluster for this principal and grain.</summary>
    public bool IsSigned(string principal, GrainId target, string? signature)
    {
        Span<byte> presented = stackalloc byte[32];
        return signature is not null
            && Convert.TryFromBase64String(signature, presented, out var written) && written == 32
            && CryptographicOperations.FixedTimeEquals(presented, HMACSHA256.HashData(_signingKey, Encoding.UTF8.GetBytes($"{principal}\n{target}")));
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
