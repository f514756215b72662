using System.Net;
using System.Net.Sockets;

namespace OrleansRag.Sources;

/// <summary>
/// Which addresses a source may reach: public ones only, unless <see cref="SourceOptions.AllowPrivateNetworks"/>. A
/// source must not become a way into the silo's own network (its loopback services, a cloud metadata endpoint, the
/// cluster's own storage).
/// </summary>
public static class PublicAddresses
{
    /// <summary>False for loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, multicast and unspecified addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 || b[0] >= 224
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] is >= 64 and <= 127)
                || (b[0] == 198 && b[1] is 18 or 19));
        }

        var bytes = address.GetAddressBytes();
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 // IPv4-compatible ::a.b.c.d
            || (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)) // NAT64 64:ff9b::/96
        {
            return IsPublic(new IPAddress(bytes.AsSpan(12, 4)));
        }

        if (bytes[0] == 0x20 && bytes[1] == 0x02) // 6to4 2002:a.b.c.d::/48
        {
            return IsPublic(new IPAddress(bytes.AsSpan(2, 4)));
        }

        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
            || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8)); // documentation range
    }

    /// <summary>
    /// Resolves <paramref name="endpoint"/>'s host and refuses it when any of its addresses is not public (unless
    /// <paramref name="allowPrivate"/>). For endpoints reached by a client library (S3, Azure), checked before each sync;
    /// web pages are checked at the socket.
    /// </summary>
    public static async Task EnsurePublicAsync(Uri endpoint, bool allowPrivate, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (allowPrivate)
        {
            return;
        }

        var host = endpoint.IdnHost.Trim('[', ']');
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException exception)
        {
            throw new SourceRefusedException($"{what} '{endpoint.Host}' does not resolve: {exception.Message}");
        }

        if (addresses.Length == 0 || !addresses.All(IsPublic))
        {
            throw new SourceRefusedException(
                $"{what} '{endpoint.Host}' resolves to a loopback, private or link-local address ({string.Join(", ", addresses.Select(a => a.ToString()))}); sources may reach only public addresses unless Sources:AllowPrivateNetworks is true.");
        }
    }
}
