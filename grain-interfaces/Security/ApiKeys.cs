using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OrleansRag.Security;

/// <summary>
/// API keys: <c>orag_&lt;id&gt;_&lt;secret&gt;</c> with a 12-character id (lower-case base32) that names the key in
/// configuration, logs and the audit trail, and a 256-bit random secret (base64url). Only the SHA-256 of the whole
/// key is configured ("sha256:&lt;hex&gt;"): the secret has full entropy, so a fast hash is safe, and a leaked
/// configuration does not leak keys.
/// </summary>
public static class ApiKeys
{
    public const string Prefix = "orag_";
    public const string HashPrefix = "sha256:";
    private const int IdLength = 12;
    private const int SecretLength = 43; // 32 bytes in unpadded base64url
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private static readonly SearchValues<char> IdChars = SearchValues.Create(IdAlphabet);
    private static readonly SearchValues<char> HexChars = SearchValues.Create("0123456789abcdef");

    /// <summary>A new key and the hash to configure for it.</summary>
    public static (string Key, string Id, string Hash) Create()
    {
        var id = string.Create(IdLength, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
            }
        });
        var key = $"{Prefix}{id}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
        return (key, id, Hash(key));
    }

    /// <summary>"sha256:" + the lower-case hex SHA-256 of the key's UTF-8 bytes.</summary>
    public static string Hash(string key) => HashPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The key's id when <paramref name="key"/> has the shape of a key (nothing is looked up).</summary>
    public static bool TryGetId(string? key, out string id)
    {
        id = "";
        if (key is null || key.Length != Prefix.Length + IdLength + 1 + SecretLength || !key.StartsWith(Prefix, StringComparison.Ordinal)
            || key[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var candidate = key.AsSpan(Prefix.Length, IdLength);
        var secret = key.AsSpan(Prefix.Length + IdLength + 1);
        if (candidate.ContainsAnyExcept(IdChars) || !Base64Url.IsValid(secret))
        {
            return false;
        }

        id = candidate.ToString();
        return true;
    }

    /// <summary>Whether <paramref name="id"/> is a well-formed key id.</summary>
    public static bool IsValidId(string? id) => id is { Length: IdLength } && !id.AsSpan().ContainsAnyExcept(IdChars);

    /// <summary>Whether <paramref name="hash"/> is "sha256:" followed by 64 lower-case hex digits.</summary>
    public static bool IsValidHash(string? hash) =>
        hash is { Length: 71 } && hash.StartsWith(HashPrefix, StringComparison.Ordinal)
        && !hash.AsSpan(HashPrefix.Length).ContainsAnyExcept(HexChars);
}
