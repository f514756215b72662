using System.Security.Cryptography;
using System.Text;

namespace OrleansRag.Blobs;

/// <summary>
/// Turns names into blob key segments that every store accepts as they are: letters, digits and <c>-._~</c> stay,
/// everything else (including '/', '%' and non-ASCII) is percent-encoded; a segment that would be longer than
/// <see cref="MaxSegmentLength"/> keeps its start and ends with a hash of the whole name, so it stays unique.
/// </summary>
public static class BlobKeys
{
    /// <summary>Longest segment made (file systems allow 255 bytes per name).</summary>
    public const int MaxSegmentLength = 160;

    /// <summary>The key of <paramref name="names"/> as '/'-separated segments.</summary>
    public static string Of(params ReadOnlySpan<string> names)
    {
        var builder = new StringBuilder();
        foreach (var name in names)
        {
            if (builder.Length > 0)
            {
                builder.Append('/');
            }

            builder.Append(Segment(name));
        }

        return builder.ToString();
    }

    /// <summary>One name as a key segment.</summary>
    public static string Segment(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var escaped = Uri.EscapeDataString(name);
        if (escaped is "." or "..")
        {
            escaped = escaped.Replace(".", "%2E", StringComparison.Ordinal);
        }

        if (escaped.Length <= MaxSegmentLength)
        {
            return escaped;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..32];
        return $"{escaped[..(MaxSegmentLength - 33)].TrimEnd('%')}~{hash}";
    }

    /// <summary>Checks that <paramref name="key"/> is made of segments this class makes (no empty, "." or ".." segment).</summary>
    public static void Check(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.Length > MaxSegmentLength + 8
                || segment.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '%')))
            {
                throw new ArgumentException($"'{key}' is not a blob key: its segments must be made by BlobKeys.", nameof(key));
            }
        }
    }
}
