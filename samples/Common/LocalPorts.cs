using System.Net;
using System.Net.Sockets;

namespace Lux.Samples;

/// <summary>The ports of one local silo.</summary>
/// <param name="Name">The silo name.</param>
/// <param name="SiloPort">Orleans silo-to-silo port.</param>
/// <param name="GatewayPort">Orleans client gateway port.</param>
/// <param name="PeerPort">Lux peer channel port.</param>
public sealed record LocalSilo(string Name, int SiloPort, int GatewayPort, int PeerPort);

/// <summary>Port plans for silos on this machine.</summary>
public static class LocalPorts
{
    /// <summary>
    /// Ports for <paramref name="count"/> silos named silo1, silo2, ...: free ones, or consecutive from
    /// <paramref name="basePort"/> (silo ports base.., gateway ports base+100.., peer ports base+200..).
    /// </summary>
    public static IReadOnlyList<LocalSilo> Plan(int count, int? basePort)
    {
        var free = basePort is null ? Free(3 * count) : [];
        return Enumerable.Range(0, count).Select(i => basePort is { } b
            ? new LocalSilo($"silo{i + 1}", b + i, b + 100 + i, b + 200 + i)
            : new LocalSilo($"silo{i + 1}", free[3 * i], free[3 * i + 1], free[3 * i + 2])).ToArray();
    }

    /// <summary><paramref name="count"/> distinct ports that were free on 127.0.0.1 a moment ago.</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners) listener.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
