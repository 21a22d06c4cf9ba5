using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lux.Raft;
using Lux.Raft.Transport;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.Tcp;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Scenario <c>transport</c>: AppendEntries frames (64 entries × 16 B) between two silos over loopback, with 1 and 64
/// frames outstanding, over Lux TCP and HTTP and over a raw socket doing the same exchange in the same run.
/// Each point is a round trip: an Append frame one way, its AppendResponse frame back. The raw-socket baseline sends the
/// very same bytes (request the size of the Append frame, reply the size of the AppendResponse frame); a second
/// baseline line echoes the request whole.
/// Options: --duration S (per run, default 5), --runs N (default 3, medians reported), --protocols tcp,http,raw,
/// --outstanding 1,64, --warmup S (before each measurement, default 3), --snapshot-mib M (stream an M MiB snapshot over TCP;
/// 0 skips), --bdn (codec micro-benchmarks).
/// The warm-up is the same for every system. It is long enough for the JIT to finish tiering up the Lux code paths (HTTP/2
/// in particular) on a loaded 2-core machine: with one second, HTTP runs were still spending ~15 % of their CPU in the
/// JIT while measured, which the raw socket's few methods never do.
/// </summary>
public static class TransportScenario
{
    private const string Bench = "transport";
    private const int Entries = 64;
    private const int ValueBytes = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--bdn")) return TransportCodecBenchmarks.Run(args);
        var duration = TimeSpan.FromSeconds(double.Parse(BenchOutput.Option(args, "duration") ?? "5", System.Globalization.CultureInfo.InvariantCulture));
        var runs = int.Parse(BenchOutput.Option(args, "runs") ?? "3");
        var protocols = (BenchOutput.Option(args, "protocols") ?? "raw,tcp,http").Split(',');
        var outstandingList = (BenchOutput.Option(args, "outstanding") ?? "1,64").Split(',').Select(int.Parse).ToArray();
        var snapshotMib = int.Parse(BenchOutput.Option(args, "snapshot-mib") ?? "0");
        var warmup = TimeSpan.FromSeconds(double.Parse(BenchOutput.Option(args, "warmup") ?? "3", System.Globalization.CultureInfo.InvariantCulture));

        var append = AppendMessage(1);
        var requestBytes = FrameCodec.GetMessageFrameSize(append);
        var replyBytes = FrameCodec.GetMessageFrameSize(Response(1));
        Console.Error.WriteLine($"transport: Append frame {requestBytes} B, AppendResponse frame {replyBytes} B, {runs} runs of {duration.TotalSeconds} s, Release={!Debugger.IsAttached}");

        foreach (var outstanding in outstandingList)
        {
            var results = new Dictionary<string, List<Measurement>>();
            for (var run = 0; run < runs; run++)
            {
                foreach (var protocol in protocols)
                {
                    var measured = protocol switch
                    {
                        "raw" => await RawSocketAsync(requestBytes, replyBytes, outstanding, warmup, duration),
                        "raw-echo" => await RawSocketAsync(requestBytes, requestBytes, outstanding, warmup, duration),
                        "tcp" or "http" => await LuxAsync(protocol, outstanding, warmup, duration),
                        _ => throw new ArgumentException($"unknown protocol {protocol}"),
                    };
                    (results.TryGetValue(protocol, out var list) ? list : results[protocol] = []).Add(measured);
                    if (protocol == "raw" && protocols.Contains("raw"))
                        (results.TryGetValue("raw-echo", out var echo) ? echo : results["raw-echo"] = []).Add(await RawSocketAsync(requestBytes, requestBytes, outstanding, warmup, duration));
                }
            }
            var rawMedian = results.TryGetValue("raw", out var raw) ? Median(raw.Select(m => m.FramesPerSecond)) : 0;
            foreach (var (protocol, list) in results)
            {
                var framesPerSecond = Median(list.Select(m => m.FramesPerSecond));
                var system = protocol switch { "tcp" => "lux-tcp", "http" => "lux-http", _ => "raw-socket" };
                var fields = new List<(string, object)>
                {
                    ("entries", Entries), ("value_bytes", ValueBytes), ("outstanding", outstanding), ("frame_bytes", requestBytes),
                    ("reply", protocol == "raw-echo" ? "echo" : "append_response"),
                    ("frames_per_s", framesPerSecond), ("mb_per_s", framesPerSecond * requestBytes / 1e6),
                    ("runs", list.Count), ("runs_frames_per_s", string.Join(" ", list.Select(m => Math.Round(m.FramesPerSecond)))),
                };
                fields.Add(("alloc_bytes_per_roundtrip", Median(list.Select(m => m.AllocatedBytesPerFrame))));
                fields.Add(("cpu_us_per_roundtrip", Median(list.Select(m => m.CpuMicrosecondsPerFrame))));
                if (rawMedian > 0 && protocol != "raw") fields.Add(("ratio_to_raw", framesPerSecond / rawMedian));
                fields.Add(("duration_s", duration.TotalSeconds));
                BenchOutput.Line(Bench, system, fields.ToArray());
            }
        }
        if (snapshotMib > 0) await SnapshotAsync(snapshotMib);
        return 0;
    }

    /// <param name="FramesPerSecond">Round trips completed per second.</param>
    /// <param name="AllocatedBytesPerFrame">Bytes allocated in the whole process per round trip.</param>
    /// <param name="CpuMicrosecondsPerFrame">CPU time of the whole process (all threads, user and kernel) per round trip:
    /// on a shared machine this moves less with other load than the rate does.</param>
    private readonly record struct Measurement(double FramesPerSecond, double AllocatedBytesPerFrame, double CpuMicrosecondsPerFrame);

    /// <summary>Counts round trips and what the process spent on them between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    private sealed class Meter(Func<long> completed)
    {
        private long _frames, _allocated;
        private TimeSpan _cpu;
        private Stopwatch _watch = new();

        public void Start()
        {
            _frames = completed();
            _allocated = GC.GetTotalAllocatedBytes(precise: true);
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _watch = Stopwatch.StartNew();
        }

        public Measurement Stop()
        {
            var frames = completed() - _frames;
            var elapsed = _watch.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
            return frames == 0 ? new Measurement(0, 0, 0) : new Measurement(frames / elapsed, (double)allocated / frames, cpu / frames);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static Message AppendMessage(ulong index) => new()
    {
        Type = MessageType.Append, To = 2, From = 1, Term = 5, LogTerm = 5, Index = 1_000_000 + index * Entries, Commit = 1_000_000 + index * Entries,
        Entries = Enumerable.Range(1, Entries).Select(i => new Entry(1_000_000 + index * Entries + (ulong)i, 5, new byte[ValueBytes])).ToArray(),
    };

    private static Message Response(ulong index) => new() { Type = MessageType.AppendResponse, To = 1, From = 2, Term = 5, Index = 1_000_000 + index * Entries + Entries };

    /// <summary>Two Lux transports: a sends Appends, b answers each with an AppendResponse, a keeps <paramref name="outstanding"/> in flight.</summary>
    private static async Task<Measurement> LuxAsync(string protocol, int outstanding, TimeSpan warmup, TimeSpan duration)
    {
        var directory = new StaticPeerDirectory();
        var appends = Enumerable.Range(0, 256).Select(i => AppendMessage((ulong)i)).ToArray();
        var responses = Enumerable.Range(0, 256).Select(i => Response((ulong)i)).ToArray();
        long completed = 0;
        PeerChannelTransport? a = null, b = null;
        var aHandler = new Handler((_, partition, _) =>
        {
            var n = Interlocked.Increment(ref completed);
            a!.TrySend("b", partition, appends[n & 255]);
        });
        var bHandler = new Handler((_, partition, m) => b!.TrySend("a", partition, responses[(int)(m.Index / Entries) & 255]));
        a = Create(protocol, "a", directory, aHandler);
        b = Create(protocol, "b", directory, bHandler);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        directory.Set("a", a.LocalEndPoint!).Set("b", b.LocalEndPoint!);
        try
        {
            for (var i = 0; i < outstanding; i++) a.TrySend("b", (ulong)(i % 16), appends[i & 255]);
            await Task.Delay(warmup);
            var meter = new Meter(() => Interlocked.Read(ref completed));
            meter.Start();
            await Task.Delay(duration);
            return meter.Stop();
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    private static PeerChannelTransport Create(string protocol, string nodeId, IPeerDirectory directory, IRaftMessageHandler handler)
    {
        var options = new PeerChannelOptions { NodeId = nodeId, ClusterSecret = "benchmark cluster secret, not for production" };
        return protocol == "tcp" ? new TcpTransport(options, directory, handler) : new HttpTransport(options, directory, handler);
    }

    /// <summary>
    /// The baseline: a plain socket pair exchanging the same bytes with the same number outstanding. The server reads
    /// whole requests and writes one reply each (all replies for a read in one send); the client sends a new request
    /// per reply (all of them for a read in one send).
    /// </summary>
    private static async Task<Measurement> RawSocketAsync(int requestBytes, int replyBytes, int outstanding, TimeSpan warmup, TimeSpan duration)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        server.NoDelay = true;
        using var stop = new CancellationTokenSource();
        long completed = 0;

        var serving = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            var replies = new byte[replyBytes * 1024];
            long pending = 0;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var n = await server.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (n == 0) return;
                    pending += n;
                    var whole = (int)(pending / requestBytes);
                    pending -= (long)whole * requestBytes;
                    while (whole > 0)
                    {
                        var batch = Math.Min(whole, 1024);
                        await server.SendAsync(replies.AsMemory(0, batch * replyBytes), SocketFlags.None, stop.Token);
                        whole -= batch;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });
        var requests = new byte[requestBytes * Math.Max(outstanding, 64)];
        Random.Shared.NextBytes(requests);
        var driving = Task.Run(async () =>
        {
            var buffer = new byte[256 * 1024];
            long pending = 0;
            try
            {
                await client.SendAsync(requests.AsMemory(0, requestBytes * outstanding), SocketFlags.None, stop.Token);
                while (!stop.IsCancellationRequested)
                {
                    var n = await client.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (n == 0) return;
                    pending += n;
                    var whole = (int)(pending / replyBytes);
                    pending -= (long)whole * replyBytes;
                    if (whole == 0) continue;
                    Interlocked.Add(ref completed, whole);
                    while (whole > 0)
                    {
                        var batch = Math.Min(whole, Math.Max(outstanding, 64));
                        await client.SendAsync(requests.AsMemory(0, batch * requestBytes), SocketFlags.None, stop.Token);
                        whole -= batch;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });
        await Task.Delay(warmup);
        var meter = new Meter(() => Interlocked.Read(ref completed));
        meter.Start();
        await Task.Delay(duration);
        var measured = meter.Stop();
        await stop.CancelAsync();
        client.Dispose();
        server.Dispose();
        await Task.WhenAll(serving, driving);
        return measured;
    }

    /// <summary>Streams a generated snapshot of <paramref name="mib"/> MiB over TCP and reports throughput and memory.</summary>
    private static async Task SnapshotAsync(int mib)
    {
        var directory = new StaticPeerDirectory();
        long peakHeap = 0;
        long received = 0;
        var bHandler = new Handler((_, _, _) => { }, async (data, ct) =>
        {
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await data.ReadAsync(buffer, ct)) > 0) received += n;
        });
        await using var a = Create("tcp", "a", directory, new Handler((_, _, _) => { }));
        await using var b = Create("tcp", "b", directory, bHandler);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        directory.Set("a", a.LocalEndPoint!).Set("b", b.LocalEndPoint!);
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(true);
        using var sampler = new Timer(_ => InterlockedMax(ref peakHeap, GC.GetTotalMemory(false)), null, 0, 10);
        var allocatedBefore = GC.GetTotalAllocatedBytes(true);
        var watch = Stopwatch.StartNew();
        var length = (long)mib * 1024 * 1024;
        await a.SendSnapshotAsync("b", 1, new Message { Type = MessageType.Snapshot, To = 2, From = 1, Term = 5, Snapshot = new SnapshotMetadata(1, 1, ConfState.OfVoters(1, 2, 3)) },
            new ZeroStream(length), CancellationToken.None);
        var elapsed = watch.Elapsed.TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
        BenchOutput.Line(Bench, "lux-tcp", ("kind", "snapshot"), ("snapshot_mib", mib), ("received_mib", received / (1024 * 1024)),
            ("mb_per_s", length / 1e6 / elapsed), ("allocated_mib", allocated / (1024.0 * 1024)),
            ("peak_heap_growth_mib", (Interlocked.Read(ref peakHeap) - heapBefore) / (1024.0 * 1024)), ("duration_s", elapsed));
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class Handler(Action<string, ulong, Message> onMessage, Func<Stream, CancellationToken, Task>? onSnapshot = null) : IRaftMessageHandler
    {
        public void OnMessage(string fromPeer, ulong partitionId, Message message) => onMessage(fromPeer, partitionId, message);

        public async ValueTask OnSnapshotAsync(string fromPeer, ulong partitionId, Message message, Stream data, CancellationToken cancellationToken)
        {
            if (onSnapshot is not null) await onSnapshot(data, cancellationToken);
        }

        public void OnUnreachable(string peer, ulong partitionId, ulong replicaId) { }

        public void OnPeerUnreachable(string peer) { }
    }

    /// <summary>A stream of <paramref name="length"/> bytes that exist nowhere: the snapshot is never in memory whole.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            buffer[..n].Fill((byte)(_position & 0xFF));
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
