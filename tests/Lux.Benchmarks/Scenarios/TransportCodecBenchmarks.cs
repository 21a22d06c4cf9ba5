using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lux.Raft;
using Lux.Raft.Transport.Codec;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Allocation and time per frame of the codec, with BenchmarkDotNet's memory diagnoser: what the transport spends per
/// frame sent (encode into a reused pipe buffer) and received (decode into a Message).
/// Run with <c>transport --bdn</c>.
/// </summary>
[MemoryDiagnoser]
public class TransportCodecBenchmarks
{
    // Sized to one frame: ArrayBufferWriter hands out (and pre-clears) its whole free space, which would be measured too.
    private readonly ArrayBufferWriter<byte> _writer = new(2048);
    private readonly ArrayBufferWriter<byte> _batchWriter = new(32 * 1024);
    private Message _append = null!;
    private Message _response = null!;
    private byte[] _responseFrame = null!;
    private (ulong, Message)[] _heartbeats = null!;
    private byte[] _appendFrame = null!;
    private byte[] _batchFrame = null!;
    private readonly List<(ulong PartitionId, Message Message)> _decoded = new(1000);

    [GlobalSetup]
    public void Setup()
    {
        _append = new Message
        {
            Type = MessageType.Append, To = 2, From = 1, Term = 5, LogTerm = 5, Index = 1_000_000, Commit = 1_000_000,
            Entries = Enumerable.Range(1, 64).Select(i => new Entry(1_000_000 + (ulong)i, 5, new byte[16])).ToArray(),
        };
        _heartbeats = Enumerable.Range(1, 1000).Select(p => ((ulong)p, new Message { Type = MessageType.Heartbeat, To = 2, From = 1, Term = 5, Commit = 1000 })).ToArray();
        FrameCodec.WriteMessage(_writer, 7, _append);
        _appendFrame = _writer.WrittenSpan.ToArray();
        _response = new Message { Type = MessageType.AppendResponse, To = 1, From = 2, Term = 5, Index = 1_000_064 };
        _writer.ResetWrittenCount();
        FrameCodec.WriteMessage(_writer, 7, _response);
        _responseFrame = _writer.WrittenSpan.ToArray();
        FrameCodec.WriteHeartbeatBatch(_batchWriter, _heartbeats);
        _batchFrame = _batchWriter.WrittenSpan.ToArray();
    }

    [Benchmark(Description = "encode Append 64x16B")]
    public int EncodeAppend()
    {
        _writer.ResetWrittenCount();
        return FrameCodec.WriteMessage(_writer, 7, _append);
    }

    [Benchmark(Description = "crc32c of the Append frame")]
    public uint ChecksumAppend() => Crc32C.Compute(_appendFrame);

    private readonly byte[] _body = new byte[64 * 1024];

    [Benchmark(Description = "body of Append into an array")]
    public int BodyAppend() => MessageCodec.WriteBody(_append, _body);

    [Benchmark(Description = "body size of Append")]
    public int SizeAppend() => MessageCodec.GetBodySize(_append);

    [Benchmark(Description = "decode Append 64x16B")]
    public Message DecodeAppend()
    {
        var sequence = new ReadOnlySequence<byte>(_appendFrame);
        FrameCodec.TryReadFrame(ref sequence, 1, 64 * 1024 * 1024, out var header, out var payload);
        return FrameCodec.ReadMessage(header, payload);
    }

    [Benchmark(Description = "encode AppendResponse")]
    public int EncodeResponse()
    {
        _writer.ResetWrittenCount();
        return FrameCodec.WriteMessage(_writer, 7, _response);
    }

    [Benchmark(Description = "decode AppendResponse")]
    public Message DecodeResponse()
    {
        var sequence = new ReadOnlySequence<byte>(_responseFrame);
        FrameCodec.TryReadFrame(ref sequence, 1, 64 * 1024 * 1024, out var header, out var payload);
        return FrameCodec.ReadMessage(header, payload);
    }

    [Benchmark(Description = "encode 1000 heartbeats (1 frame)")]
    public int EncodeHeartbeats()
    {
        _batchWriter.ResetWrittenCount();
        return FrameCodec.WriteHeartbeatBatch(_batchWriter, _heartbeats);
    }

    [Benchmark(Description = "decode 1000 heartbeats (1 frame)")]
    public int DecodeHeartbeats()
    {
        var sequence = new ReadOnlySequence<byte>(_batchFrame);
        FrameCodec.TryReadFrame(ref sequence, 1, 64 * 1024 * 1024, out _, out var payload);
        _decoded.Clear();
        FrameCodec.ReadHeartbeatBatch(payload.FirstSpan, _decoded);
        return _decoded.Count;
    }

    public static int Run(string[] args)
    {
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<TransportCodecBenchmarks>(config);
        foreach (var report in summary.Reports)
        {
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
            BenchOutput.Line("transport-codec", "lux", ("method", report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo),
                ("mean_ns", report.ResultStatistics?.Mean ?? double.NaN), ("alloc_bytes_per_op", allocated));
        }
        return summary.HasCriticalValidationErrors ? 1 : 0;
    }
}
