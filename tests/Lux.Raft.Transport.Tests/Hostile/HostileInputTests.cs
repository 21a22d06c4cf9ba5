using System.Net.Sockets;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.Tcp;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Hostile;

[CollectionDefinition(nameof(Alone), DisableParallelization = true)]
public sealed class Alone;

/// <summary>
/// A live listener under a stream of random and mutated frames, before and after the handshake. It must close each bad
/// connection with a log line, never crash, never allocate what a header claims, stay within bounded memory, and keep
/// delivering a well-behaved peer's messages throughout.
/// </summary>
[Collection(nameof(Alone))]
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "the cluster secret of the hostile tests";
    private readonly TestLoggerFactory _logs = new(output) { Echo = false };
    private readonly RecordingHandler _serverHandler = new() { KeepMessages = false };
    private readonly StaticPeerDirectory _directory = new();
    private readonly List<IPeerTransport> _transports = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var transport in _transports) await transport.DisposeAsync();
    }

    private async Task<T> Start<T>(T transport) where T : PeerChannelTransport
    {
        await transport.StartAsync(CancellationToken.None);
        _directory.Set(transport.NodeId, transport.LocalEndPoint!);
        _transports.Add(transport);
        return transport;
    }

    private static PeerChannelOptions Options(string nodeId) => new()
    {
        NodeId = nodeId, ClusterSecret = Secret, MaxFrameSize = 1024 * 1024,
        HandshakeTimeout = TimeSpan.FromSeconds(1), FrameTimeout = TimeSpan.FromSeconds(1),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(10), ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task A_hundred_thousand_hostile_frames_at_a_tcp_listener()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var total = int.Parse(Environment.GetEnvironmentVariable("LUX_FUZZ_FRAMES") ?? "100000");
        var server = await Start(new TcpTransport(Options("server"), _directory, _serverHandler, _logs));
        var good = await Start(new TcpTransport(Options("good"), _directory, new RecordingHandler(), _logs));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var peakHeap = heapBefore;

        var thrown = 0;
        var connections = 0;
        var notClosed = 0;
        var probes = 0;
        var kinds = new int[7];
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            var frames = new HostileFrames(new Random(seed + w));
            var rng = new Random(seed * 31 + w);
            while (Interlocked.Increment(ref thrown) <= total)
            {
                var (kind, bytes, _) = frames.Next();
                Interlocked.Increment(ref kinds[(int)kind]);
                Interlocked.Increment(ref connections);
                await using var peer = await RawPeer.ConnectAsync(server.LocalEndPoint!);
                if (rng.Next(2) == 0)
                {
                    await peer.HandshakeAsync(Secret, $"fuzzer-{w}", "server");
                    if (!await peer.WelcomedAsync()) throw new InvalidOperationException("a correct handshake was refused");
                }
                await peer.TrySendAsync(bytes);
                // A frame that happens to be valid, or one that claims more bytes than follow, leaves the connection open;
                // ending our side makes every case end now (slow senders have their own test).
                peer.ShutdownSend();
                if (!await peer.ClosedByServerAsync(TimeSpan.FromSeconds(10))) Interlocked.Increment(ref notClosed);
            }
        })).ToList();

        // The well-behaved peer keeps talking while the fuzzers run, and every probe must arrive.
        var serverCount = () => _serverHandler.Count;
        while (!workers.All(w => w.IsCompleted))
        {
            var before = serverCount();
            Assert.True(good.TrySend("server", 1, Messages.Append((ulong)probes + 1)));
            probes++;
            await Wait.Until(() => serverCount() > before || workers.Any(w => w.IsFaulted), $"probe {probes} delivered during the fuzzing");
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
            // Pace the probes: the next one goes out when the fuzzers finish or after 200 ms, whichever is first.
            try
            {
                await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMilliseconds(200));
            }
            catch (TimeoutException)
            {
                // The fuzzers are still running: probe again.
            }
        }
        await Task.WhenAll(workers);

        var goodMessages = _logs.Lines.Count;
        output.WriteLine($"{total} hostile frames on {connections} connections; kinds {string.Join(",", kinds)}; {probes} probes delivered");
        output.WriteLine($"server: {server.Statistics.ProtocolErrors} protocol errors, {server.Statistics.ConnectionsRefused} refused; heap {heapBefore / 1024} KiB before, peak {peakHeap / 1024} KiB");
        Assert.Equal(0, notClosed);
        Assert.True(probes >= 3, "the well-behaved peer was checked during the run");
        // One closing line per hostile connection: a violation, a refusal, a slow-peer cut, or a plain close after a frame that happened to be valid.
        await Wait.Until(() => _logs.CountOf(LogEvents.ProtocolViolation, LogEvents.Refused, LogEvents.SlowPeer, LogEvents.InboundClosed) >= total,
            "a log line for every hostile connection");
        Assert.True(server.Statistics.ProtocolErrors > total / 2, $"only {server.Statistics.ProtocolErrors} protocol errors");
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(heapAfter - heapBefore < 32L * 1024 * 1024, $"heap grew by {(heapAfter - heapBefore) / 1024} KiB");
        Assert.True(peakHeap - heapBefore < 256L * 1024 * 1024, $"heap peaked {(peakHeap - heapBefore) / 1024} KiB above the start");
        // After it all the listener still takes new peers.
        var late = new RecordingHandler();
        var lateServerCount = serverCount();
        var newcomer = await Start(new TcpTransport(Options("newcomer"), _directory, late, _logs));
        Assert.True(newcomer.TrySend("server", 2, Messages.Append(1)));
        await Wait.Until(() => serverCount() > lateServerCount, "a new peer is served after the fuzzing");
        Assert.True(goodMessages > 0);
    }

    [Fact]
    public async Task Hostile_request_bodies_at_an_http_listener()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        const int total = 3_000;
        var server = await Start(new HttpTransport(Options("server"), _directory, _serverHandler, _logs));
        var good = await Start(new HttpTransport(Options("good"), _directory, new RecordingHandler(), _logs));
        var frames = new HostileFrames(new Random(seed));
        var uri = new Uri($"http://{server.LocalEndPoint}/lux/raft/v1/channel");
        using var client = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var failedOrClosed = 0;
        var probes = 0;
        for (var i = 0; i < total; i++)
        {
            var (_, bytes, _) = frames.Next();
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(HttpTransport.ContentType);
            try
            {
                using var response = await client.PostAsync(uri, content);
                // The server may answer headers first; the body then ends (or resets) once it has refused the frame.
                await response.Content.ReadAsByteArrayAsync();
                failedOrClosed++;
            }
            catch (HttpRequestException)
            {
                failedOrClosed++;
            }
            catch (IOException)
            {
                failedOrClosed++;
            }
            if (i % 500 == 0)
            {
                var before = _serverHandler.Count;
                Assert.True(good.TrySend("server", 1, Messages.Append((ulong)i + 1)));
                probes++;
                await Wait.Until(() => _serverHandler.Count > before, $"probe {probes} delivered during the fuzzing");
            }
        }
        output.WriteLine($"{total} hostile bodies; server: {server.Statistics.ProtocolErrors} protocol errors, {server.Statistics.ConnectionsRefused} refused; {probes} probes");
        Assert.Equal(total, failedOrClosed);
        await Wait.Until(() => _logs.CountOf(LogEvents.ProtocolViolation, LogEvents.Refused, LogEvents.SlowPeer, LogEvents.InboundClosed) >= total,
            "a log line for every hostile request");
        Assert.True(server.Statistics.ProtocolErrors > total / 2);
    }

    [Fact]
    public async Task A_header_claiming_a_large_payload_allocates_nothing_until_the_bytes_arrive()
    {
        var options = Options("server");
        options.MaxFrameSize = PeerChannelOptions.DefaultMaxFrameSize;
        var server = await Start(new TcpTransport(options, _directory, _serverHandler, _logs));
        await using var peer = await RawPeer.ConnectAsync(server.LocalEndPoint!);
        await peer.HandshakeAsync(Secret, "client", "server");
        Assert.True(await peer.WelcomedAsync());
        var header = new byte[FrameHeader.Size + 100];
        const int claimed = 60 * 1024 * 1024; // under the 64 MiB limit: accepted, then awaited
        FrameHeader.WriteWithoutChecksum(header, (byte)MessageType.Append, claimed, 1);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await peer.SendAsync(header);
        // The frame timeout (1 s) cuts the connection while it waits for the rest.
        Assert.True(await peer.ClosedByServerAsync(TimeSpan.FromSeconds(20)));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"allocated {allocated / 1024} KiB in the process while a frame claimed {claimed / 1024} KiB and never came");
        Assert.True(allocated < claimed / 16, $"allocated {allocated} bytes");
        await Wait.Until(() => _logs.Lines.Any(l => l.EventId == LogEvents.SlowPeer && l.Text.Contains("frame not completed in time")), "a slow-peer log line");
    }

    [Fact]
    public async Task A_length_over_the_limit_closes_the_connection_at_once()
    {
        var server = await Start(new TcpTransport(Options("server"), _directory, _serverHandler, _logs));
        await using var peer = await RawPeer.ConnectAsync(server.LocalEndPoint!);
        await peer.HandshakeAsync(Secret, "client", "server");
        Assert.True(await peer.WelcomedAsync());
        var header = new byte[FrameHeader.Size];
        FrameHeader.WriteWithoutChecksum(header, (byte)MessageType.Append, 64 * 1024 * 1024, 1);
        await peer.SendAsync(header);
        Assert.True(await peer.ClosedByServerAsync(TimeSpan.FromSeconds(20)));
        await Wait.Until(() => _logs.Lines.Any(l => l.EventId == LogEvents.ProtocolViolation && l.Text.Contains("exceeds the limit")), "a violation log line");
    }

    [Fact]
    public async Task A_slow_loris_in_the_handshake_is_cut_off()
    {
        var server = await Start(new TcpTransport(Options("server"), _directory, _serverHandler, _logs));
        await using var peer = await RawPeer.ConnectAsync(server.LocalEndPoint!);
        await peer.SendAsync(new byte[] { 1, (byte)FrameType.Hello }); // two bytes of a header, then silence
        Assert.True(await peer.ClosedByServerAsync(TimeSpan.FromSeconds(20)));
        await Wait.Until(() => _logs.Lines.Any(l => l.EventId == LogEvents.SlowPeer && l.Text.Contains("handshake not completed in time")), "a slow-peer log line");
    }

    [Fact]
    public async Task Too_many_pending_handshakes_are_turned_away()
    {
        var options = Options("server");
        options.MaxPendingHandshakes = 4;
        options.HandshakeTimeout = TimeSpan.FromSeconds(30);
        var server = await Start(new TcpTransport(options, _directory, _serverHandler, _logs));
        var idle = new List<RawPeer>();
        for (var i = 0; i < 4; i++) idle.Add(await RawPeer.ConnectAsync(server.LocalEndPoint!));
        await Wait.Until(() => server.PendingHandshakes == 4, "four handshakes pending");
        // The server may reset the extra connection before the client has seen its connect complete: either way it was turned away.
        RawPeer? extra = null;
        try
        {
            extra = await RawPeer.ConnectAsync(server.LocalEndPoint!);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
        }
        if (extra is not null)
        {
            await using (extra) Assert.True(await extra.ClosedByServerAsync(TimeSpan.FromSeconds(20)));
        }
        await Wait.Until(() => _logs.CountOf(LogEvents.TooManyHandshakes) >= 1, "a log line");
        foreach (var peer in idle) await peer.DisposeAsync();
        // Once they are gone a real peer gets in.
        var good = await Start(new TcpTransport(Options("good"), _directory, new RecordingHandler(), _logs));
        Assert.True(good.TrySend("server", 1, Messages.Append(1)));
        await Wait.Until(() => _serverHandler.Count == 1, "the good peer is served");
    }
}
