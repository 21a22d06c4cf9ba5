using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Lux.Raft.Transport.Tcp;
using Xunit.Abstractions;

namespace Lux.Raft.Transport.Tests.Transports;

public sealed class SocketReceivePumpTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Bytes_arrive_whole_and_in_order_and_the_reader_runs_on_the_receiving_thread()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var sent = new byte[1024 * 1024 + random.Next(4096)];
        random.NextBytes(sent);
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var pump = new SocketReceivePump(server, 16 * 1024, "pump-under-test");

        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < sent.Length;)
            {
                var chunk = Math.Min(sent.Length - offset, 1 + random.Next(40_000));
                offset += await client.SendAsync(sent.AsMemory(offset, chunk), SocketFlags.None);
            }
            client.Shutdown(SocketShutdown.Send);
        });

        var received = new MemoryStream();
        var resumedOn = new List<string?>();
        // No synchronization context here, so a read that had to wait resumes wherever the pipe resumes it.
        var reading = Task.Run(async () =>
        {
            while (true)
            {
                var before = Environment.CurrentManagedThreadId;
                var result = await pump.ReadAsync().ConfigureAwait(false);
                // A read answered at once (or completed just before the await) continues on this thread.
                if (Environment.CurrentManagedThreadId != before) resumedOn.Add(Thread.CurrentThread.Name);
                foreach (var segment in result.Buffer) received.Write(segment.Span);
                pump.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) return;
            }
        });
        await reading.WaitAsync(Deadline);
        await sending;
        pump.Complete();

        Assert.Equal(sent, received.ToArray());
        // Every read that was resumed elsewhere was resumed by the pump's own thread, not handed to a thread-pool worker.
        Assert.NotEmpty(resumedOn);
        Assert.All(resumedOn, name => Assert.Equal("pump-under-test", name));
        await pump.Stopped.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_frame_left_partly_examined_waits_for_the_rest_and_nothing_is_lost()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var pump = new SocketReceivePump(server, 4096, "pump-under-test");

        await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
        var first = await pump.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.Equal(3, first.Buffer.Length);
        // Examined but not consumed, as FrameInput does with an incomplete frame.
        pump.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        var pending = pump.ReadAsync().AsTask();
        await client.SendAsync(new byte[] { 4, 5 }, SocketFlags.None);
        var second = await pending.WaitAsync(Deadline);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, second.Buffer.ToArray());
        pump.AdvanceTo(second.Buffer.End);
        pump.Complete();
        await pump.Stopped.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Cutting_the_socket_ends_a_pump_that_waits_for_data_and_the_reader_hears_of_it()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        var pump = new SocketReceivePump(server, 4096, "pump-under-test");
        var reading = pump.ReadAsync().AsTask();
        Assert.False(reading.IsCompleted);

        server.Dispose();

        await pump.Stopped.WaitAsync(Deadline);
        var ended = await Record.ExceptionAsync(async () =>
        {
            var result = await reading.WaitAsync(Deadline);
            Assert.True(result.IsCompleted);
        });
        Assert.True(ended is null or IOException, $"unexpected {ended}");
        pump.Complete();
    }

    [Fact]
    public async Task Completing_the_reader_ends_the_pump_without_any_data()
    {
        var (client, server) = await ConnectedPairAsync();
        using var _ = client;
        using var __ = server;
        var pump = new SocketReceivePump(server, 4096, "pump-under-test");

        pump.Complete();

        await pump.Stopped.WaitAsync(Deadline);
        // The socket was not read: what the peer sends now stays in it.
        await client.SendAsync(new byte[] { 42 }, SocketFlags.None);
        var buffer = new byte[1];
        Assert.Equal(1, await server.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline));
        Assert.Equal(42, buffer[0]);
    }

    [Fact]
    public async Task A_reset_by_the_peer_reaches_the_reader_as_an_io_error()
    {
        var (client, server) = await ConnectedPairAsync();
        using var __ = server;
        var pump = new SocketReceivePump(server, 4096, "pump-under-test");
        var reading = pump.ReadAsync().AsTask();

        client.LingerState = new LingerOption(true, 0);
        client.Dispose();

        var error = await Record.ExceptionAsync(() => reading.WaitAsync(Deadline));
        Assert.IsType<IOException>(error);
        await pump.Stopped.WaitAsync(Deadline);
        pump.Complete();
    }

    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await listener.AcceptAsync();
        return (client, server);
    }
}
