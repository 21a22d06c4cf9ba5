using System.Net;
using System.Net.Sockets;

namespace Lux.Benchmarks.E2e;

internal static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> distinct free TCP ports on 127.0.0.1, found by binding to port 0 and releasing them
    /// together; another process could take one in between, in which case the system fails to start and says so.
    /// </summary>
    public static int[] Allocate(int count)
    {
        var sockets = new List<Socket>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
        }
    }
}
