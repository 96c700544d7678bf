using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Grains.Scheduling;

/// <summary>
/// The keys a turn carries for the per-client fair-use limit: short hashes, so no cookie or address is stored in an
/// event or a grain. An IPv6 address counts by its /64 (one subscriber's network), an IPv4 address whole.
/// </summary>
public static class ClientKeys
{
    public const string BrowserPrefix = "browser:";
    public const string AddressPrefix = "address:";

    public static IReadOnlyList<string> Of(string? browserOwner, string? address)
    {
        var keys = new List<string>(2);
        if (!string.IsNullOrEmpty(browserOwner)) keys.Add(BrowserPrefix + Hash(browserOwner));
        if (!string.IsNullOrEmpty(address)) keys.Add(AddressPrefix + Hash(NetworkOf(address)));
        return keys;
    }

    private static string NetworkOf(string address)
    {
        if (!IPAddress.TryParse(address, out var ip)) return address;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return ip.ToString();
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("client:" + value)))[..20];
}
