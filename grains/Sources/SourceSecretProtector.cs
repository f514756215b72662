using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansRag.Security;

namespace OrleansRag.Sources;

/// <summary>
/// Keeps sources' credentials encrypted in grain storage: AES-GCM under a key derived from <c>Security:ClusterSecret</c>
/// (the same on every silo), bound to the source's grain key so a ciphertext copied to another source does not open.
/// Without a cluster secret (the open embedded mode, whose storage is memory) they are kept as they are, marked so.
/// </summary>
public sealed class SourceSecretProtector(IOptions<SecurityOptions> security)
{
    private const string Encrypted = "aesgcm1:";
    private const string Plain = "plain:";
    private readonly byte[]? _key = string.IsNullOrEmpty(security.Value.ClusterSecret)
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes("orleansrag-source-secrets\n" + security.Value.ClusterSecret));

    /// <summary>The stored form of <paramref name="secrets"/> for the source <paramref name="sourceKey"/>; null when there are none.</summary>
    public string? Protect(string sourceKey, SourceSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Names().Count == 0)
        {
            return null;
        }

        var plain = JsonSerializer.SerializeToUtf8Bytes(new Stored(secrets.ConnectionString, secrets.SecretKey));
        if (_key is null)
        {
            return Plain + Convert.ToBase64String(plain);
        }

        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(_key, tag.Length))
        {
            aes.Encrypt(nonce, plain, cipher, tag, Encoding.UTF8.GetBytes(sourceKey));
        }

        CryptographicOperations.ZeroMemory(plain);
        return Encrypted + Convert.ToBase64String([.. nonce, .. tag, .. cipher]);
    }

    /// <summary>The secrets kept as <paramref name="stored"/>; fails when the cluster secret has changed since they were kept.</summary>
    public SourceSecrets Unprotect(string sourceKey, string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return SourceSecrets.None;
        }

        byte[] plain;
        if (stored.StartsWith(Plain, StringComparison.Ordinal))
        {
            plain = Convert.FromBase64String(stored[Plain.Length..]);
        }
        else if (stored.StartsWith(Encrypted, StringComparison.Ordinal) && _key is not null)
        {
            var bytes = Convert.FromBase64String(stored[Encrypted.Length..]);
            var nonce = bytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
            var tag = bytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
            var cipher = bytes.AsSpan(nonce.Length + tag.Length);
            plain = new byte[cipher.Length];
            try
            {
                using var aes = new AesGcm(_key, tag.Length);
                aes.Decrypt(nonce, cipher, tag, plain, Encoding.UTF8.GetBytes(sourceKey));
            }
            catch (AuthenticationTagMismatchException exception)
            {
                throw new InvalidOperationException("The source's credentials cannot be read: Security:ClusterSecret has changed since they were stored. Delete the source and add it again.", exception);
            }
        }
        else
        {
            throw new InvalidOperationException("The source's credentials were stored encrypted and Security:ClusterSecret is not set; set it as it was, or delete the source and add it again.");
        }

        var secrets = JsonSerializer.Deserialize<Stored>(plain);
        CryptographicOperations.ZeroMemory(plain);
        return new SourceSecrets(secrets?.ConnectionString, secrets?.SecretKey);
    }

    /// <summary>Whether stored secrets are encrypted (false in the open mode, where they stay in the silo's memory).</summary>
    public bool Encrypts => _key is not null;

    private sealed record Stored(string? ConnectionString, string? SecretKey);
}
