using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lux.Benchmarks.DotNext;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// Client of the DotNext baseline: one multiplexed <see cref="ClientProtocol"/> connection to the leader's node.
/// A NotLeader answer moves the client to the leader it names (or the one a fresh lookup finds) and retries.
/// </summary>
internal sealed class DotNextClient : IE2eClient
{
    private const int Attempts = 4;
    private readonly Func<CancellationToken, Task<int>> findLeader;
    private readonly SemaphoreSlim switching = new(1, 1);
    private Link link;
    private long nextId;

    private DotNextClient(Link link, Func<CancellationToken, Task<int>> findLeader)
    {
        this.link = link;
        this.findLeader = findLeader;
    }

    public static async Task<DotNextClient> ConnectAsync(int port, Func<CancellationToken, Task<int>> findLeader, CancellationToken cancellationToken) =>
        new(await Link.OpenAsync(port, cancellationToken), findLeader);

    /// <summary>The client port of the leader that the node on <paramref name="port"/> knows of; 0 when none or unreachable.</summary>
    public static async Task<int> AskLeaderAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            await using var probe = await Link.OpenAsync(port, cancellationToken);
            var reply = await probe.SendAsync(ClientProtocol.Frame(ClientProtocol.KindLeader, 1, ReadOnlySpan<byte>.Empty), 1, cancellationToken);
            return reply.Status == ClientProtocol.StatusOk ? reply.Port : 0;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return 0;
        }
    }

    public async ValueTask ProposeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = Interlocked.Increment(ref nextId);
            var current = Volatile.Read(ref link);
            var reply = await current.SendAsync(ClientProtocol.PutFrame(id, key.Span, value.Span), id, cancellationToken);
            switch (reply.Status)
            {
                case ClientProtocol.StatusOk:
                    return;
                case ClientProtocol.StatusNotLeader when attempt < Attempts:
                    await SwitchAsync(current, reply.Port, cancellationToken);
                    break;
                case ClientProtocol.StatusNotLeader:
                    throw new InvalidOperationException($"no leader accepted the write after {Attempts} attempts");
                default:
                    throw new InvalidOperationException($"node refused the write: {reply.Reason}");
            }
        }
    }

    private async Task SwitchAsync(Link stale, int hint, CancellationToken cancellationToken)
    {
        await switching.WaitAsync(cancellationToken);
        try
        {
            if (!ReferenceEquals(link, stale)) return;
            var port = hint != 0 && hint != stale.Port ? hint : await findLeader(cancellationToken);
            Volatile.Write(ref link, await Link.OpenAsync(port, cancellationToken));
            await stale.DisposeAsync();
        }
        finally
        {
            switching.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await link.DisposeAsync();
        switching.Dispose();
    }

    private readonly record struct Reply(byte Status, int Port, string? Reason);

    /// <summary>One connection and the requests waiting on it; closing it fails them all.</summary>
    private sealed class Link : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource<Reply>> pending = new();
        private FrameConnection? connection;

        private Link(int port) => Port = port;

        public int Port { get; }

        public static async Task<Link> OpenAsync(int port, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            var link = new Link(port);
            link.connection = new FrameConnection(socket, link.OnFrame, static message => Console.Error.WriteLine($"dotnext client: {message}"));
            _ = link.connection.Completion.ContinueWith(_ => link.FailAll(), TaskScheduler.Default);
            return link;
        }

        public async Task<Reply> SendAsync(byte[] frame, long id, CancellationToken cancellationToken)
        {
            var waiter = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
            pending[id] = waiter;
            if (!connection!.TrySend(frame) || connection.Completion.IsCompleted)
            {
                pending.TryRemove(id, out _);
                throw new IOException($"connection to 127.0.0.1:{Port} is closed");
            }
            await using (cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken)))
                return await waiter.Task;
        }

        private void OnFrame(FrameConnection from, byte status, long id, ReadOnlySequence<byte> body)
        {
            if (!pending.TryRemove(id, out var waiter)) return;
            waiter.TrySetResult(status switch
            {
                ClientProtocol.StatusOk or ClientProtocol.StatusNotLeader when body.Length >= sizeof(int) => new Reply(status, ClientProtocol.ReadInt32(body), null),
                ClientProtocol.StatusOk or ClientProtocol.StatusNotLeader => new Reply(status, 0, null),
                _ => new Reply(status, 0, Encoding.UTF8.GetString(body)),
            });
        }

        private void FailAll()
        {
            foreach (var id in pending.Keys)
                if (pending.TryRemove(id, out var waiter))
                    waiter.TrySetException(new IOException($"connection to 127.0.0.1:{Port} closed"));
        }

        public async ValueTask DisposeAsync()
        {
            if (connection is not null) await connection.DisposeAsync();
            FailAll();
        }
    }
}
