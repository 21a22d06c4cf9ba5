using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Lux.Benchmarks.DotNext;

/// <summary>
/// Serves <see cref="ClientProtocol"/> on the node's client port: a Put is replicated through the local Raft node
/// (<c>ReplicateAsync</c> appends, replicates, and returns once the entry is committed and applied here) and answered
/// Ok; a node that is not the leader answers NotLeader with the leader's client port.
/// </summary>
internal sealed class ClientServer(IPEndPoint endPoint, IRaftCluster cluster, Func<int> leaderClientPort) : IAsyncDisposable
{
    private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentDictionary<FrameConnection, byte> connections = new();
    private readonly CancellationTokenSource stop = new();
    private Task accepting = Task.CompletedTask;

    public void Start()
    {
        listener.Bind(endPoint);
        listener.Listen(64);
        accepting = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(stop.Token).ConfigureAwait(false);
                var connection = new FrameConnection(socket, OnFrame, static message => Console.Error.WriteLine(message));
                connections[connection] = 0;
                _ = connection.Completion.ContinueWith(async _ =>
                {
                    connections.TryRemove(connection, out var _);
                    await connection.DisposeAsync().ConfigureAwait(false);
                }, TaskScheduler.Default);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void OnFrame(FrameConnection connection, byte kind, long id, ReadOnlySequence<byte> body)
    {
        switch (kind)
        {
            case ClientProtocol.KindPut:
                var payload = body.ToArray();
                if (!ClientProtocol.TrySplitPut(payload, out _, out _))
                {
                    connection.TrySend(ClientProtocol.Frame(ClientProtocol.StatusFailed, id, "malformed Put: key length runs past the body"u8));
                    return;
                }
                _ = ReplicateAsync(connection, id, payload);
                break;
            case ClientProtocol.KindLeader:
                connection.TrySend(ClientProtocol.Frame(ClientProtocol.StatusOk, id, leaderClientPort()));
                break;
            default:
                connection.TrySend(ClientProtocol.Frame(ClientProtocol.StatusFailed, id, Encoding.UTF8.GetBytes($"unknown request kind {kind}")));
                break;
        }
    }

    private async Task ReplicateAsync(FrameConnection connection, long id, byte[] payload)
    {
        byte[] reply;
        try
        {
            await cluster.ReplicateAsync(payload, context: null, stop.Token).ConfigureAwait(false);
            reply = ClientProtocol.Frame(ClientProtocol.StatusOk, id, ReadOnlySpan<byte>.Empty);
        }
        catch (NotLeaderException)
        {
            reply = ClientProtocol.Frame(ClientProtocol.StatusNotLeader, id, leaderClientPort());
        }
        catch (Exception e)
        {
            reply = ClientProtocol.Frame(ClientProtocol.StatusFailed, id, Encoding.UTF8.GetBytes($"{e.GetType().Name}: {e.Message}"));
        }
        connection.TrySend(reply);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        await accepting.ConfigureAwait(false);
        foreach (var connection in connections.Keys) await connection.DisposeAsync().ConfigureAwait(false);
        stop.Dispose();
    }
}
