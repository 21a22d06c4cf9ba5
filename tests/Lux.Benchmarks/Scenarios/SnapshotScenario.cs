using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.IO.Pipelines;
using System.Threading.Channels;
using Lux.Raft;
using Lux.Raft.StateMachine;
using Lux.Raft.Storage;
using Lux.Raft.Storage.LiteDb;
using Lux.Raft.Transport;
using Lux.Raft.Transport.InMemory;

namespace Lux.Benchmarks.Scenarios;

/// <summary>
/// Snapshot transfer of a large state to a replica that has nothing (issue 3's figure): a leader whose log is compacted
/// behind a snapshot, a new follower on the LiteDB WAL, the in-memory peer channel between them. The core emits the
/// Snapshot message; the leader's state machine streams its state through a pipe into the channel; the follower writes
/// it to a snapshot file (temp file, fsync, rename), restores its state machine from that file, and installs the
/// snapshot in the core. Time runs from the Snapshot message to the follower acknowledging the snapshot's index.
/// Memory: the managed heap is sampled every millisecond; both ends live in this process, so the peak covers sender
/// and receiver together.
/// </summary>
public static class SnapshotScenario
{
    private const ulong Partition = 7;
    private const ulong SnapshotIndex = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var mib = int.Parse(BenchOutput.Option(args, "mib") ?? "100", CultureInfo.InvariantCulture);
        var runs = int.Parse(BenchOutput.Option(args, "runs") ?? "3", CultureInfo.InvariantCulture);
        var seconds = new List<double>();
        var peaks = new List<double>();
        var allocated = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var (elapsed, peakBytes, allocatedBytes) = await TransferAsync((long)mib * 1024 * 1024);
            seconds.Add(elapsed.TotalSeconds);
            peaks.Add(peakBytes / 1048576.0);
            allocated.Add(allocatedBytes / 1048576.0);
        }
        seconds.Sort();
        peaks.Sort();
        allocated.Sort();
        BenchOutput.Line("snapshot", "lux-inmemory",
            ("state_mib", mib), ("runs", runs),
            ("seconds", seconds[runs / 2]), ("mb_per_s", mib * 1.048576 / seconds[runs / 2]),
            ("peak_heap_growth_mib", peaks[runs / 2]), ("allocated_mib", allocated[runs / 2]),
            ("fsync", "on"));
        return 0;
    }

    private static async Task<(TimeSpan Elapsed, long PeakHeapGrowth, long Allocated)> TransferAsync(long stateBytes)
    {
        var directory = Directory.CreateTempSubdirectory("lux-snapshot-bench-");
        try
        {
            await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = directory.FullName });
            var members = ConfState.OfVoters(1, 2);

            // The leader: its log is compacted behind a snapshot of a large state.
            var leaderStorage = new MemoryStorage(members);
            leaderStorage.ApplySnapshot(new SnapshotMetadata(SnapshotIndex, 1, members));
            leaderStorage.SetHardState(new HardState(1, 1, SnapshotIndex));
            var leaderState = new GeneratedStateMachine(stateBytes);
            var leader = new RawNode(new RaftOptions { Id = 1, Storage = leaderStorage, Applied = SnapshotIndex });

            // The follower: a new replica on the WAL, knowing only the partition's bootstrap membership.
            var followerStore = await wal.OpenPartitionAsync(Partition);
            await followerStore.SaveConfStateAsync(members);
            var follower = new RawNode(new RaftOptions { Id = 2, Storage = followerStore });
            var followerState = new DigestStateMachine();

            var inbox = Channel.CreateUnbounded<Message>();
            var network = new InMemoryNetwork();
            var receiver = new SnapshotReceiver(wal, followerState, inbox.Writer);
            await using var senderChannel = new InMemoryTransport(network, "1", receiver);
            await using var receiverChannel = new InMemoryTransport(network, "2", receiver);
            await senderChannel.StartAsync(CancellationToken.None);
            await receiverChannel.StartAsync(CancellationToken.None);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var baseline = GC.GetTotalMemory(false);
            var allocatedBefore = GC.GetTotalAllocatedBytes(true);
            using var sampling = new CancellationTokenSource();
            long peak = baseline;
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    Volatile.Write(ref peak, Math.Max(Volatile.Read(ref peak), GC.GetTotalMemory(false)));
                    await Task.Delay(1);
                }
            });

            var watch = new Stopwatch();
            Task? transfer = null;
            leader.Campaign();
            while (true)
            {
                foreach (var m in await DrainAsync(leader, leaderStorage))
                {
                    if (m.Type == MessageType.Snapshot)
                    {
                        watch.Start();
                        transfer = SendSnapshotAsync(senderChannel, leaderState, m);
                    }
                    else follower.Step(m);
                }
                foreach (var m in await DrainAsync(follower, followerStore)) leader.Step(m);
                if (watch.IsRunning && leader.Status().Progress![2].Match >= SnapshotIndex) break;
                // Wait for the follower's mailbox (the installed snapshot) when nothing else is moving.
                if (!leader.HasReady && !follower.HasReady) follower.Step(await inbox.Reader.ReadAsync());
                while (inbox.Reader.TryRead(out var queued)) follower.Step(queued);
            }
            watch.Stop();
            await transfer!;
            leader.ReportSnapshot(2, success: true);
            sampling.Cancel();
            await sampler;

            if (followerState.Length != stateBytes || followerState.Digest != leaderState.Digest)
            {
                throw new InvalidOperationException("the restored state differs from the leader's");
            }
            return (watch.Elapsed, peak - baseline, GC.GetTotalAllocatedBytes(true) - allocatedBefore);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Persists and applies every Ready of <paramref name="node"/>, returning the messages to deliver.</summary>
    private static async Task<List<Message>> DrainAsync(RawNode node, IRaftLogStore storage)
    {
        var outgoing = new List<Message>();
        while (node.HasReady)
        {
            var ready = node.Ready();
            if (ready.Snapshot is { } snapshot) await storage.ApplySnapshotAsync(snapshot);
            await storage.SaveAsync(ready.HardState, ready.Entries);
            outgoing.AddRange(ready.Messages);
            node.Advance();
        }
        return outgoing;
    }

    /// <summary>The leader's host: its state machine writes into a pipe that the channel reads as the receiver makes room.</summary>
    private static async Task SendSnapshotAsync(IPeerTransport channel, IStateMachine state, Message snapshot)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        var writing = Task.Run(async () =>
        {
            await using var into = pipe.Writer.AsStream();
            await state.SnapshotAsync(into);
        });
        await using var from = pipe.Reader.AsStream();
        await channel.SendSnapshotAsync("2", Partition, snapshot, from, CancellationToken.None);
        await writing;
    }

    /// <summary>The follower's host: snapshot to file (synced), state machine restored from the file, message to the core.</summary>
    private sealed class SnapshotReceiver(LiteDbWriteAheadLog wal, IStateMachine state, ChannelWriter<Message> mailbox) : IRaftMessageHandler
    {
        public void OnMessage(string fromPeer, ulong partitionId, Message message) => mailbox.TryWrite(message);

        public async ValueTask OnSnapshotAsync(string fromPeer, ulong partitionId, Message message, Stream data, CancellationToken cancellationToken)
        {
            var meta = message.Snapshot!;
            await wal.Snapshots.WriteAsync(partitionId, meta, (file, ct) => new ValueTask(data.CopyToAsync(file, 256 * 1024, ct)), cancellationToken);
            await using (var file = wal.Snapshots.OpenRead(partitionId, meta.Index, meta.Term)
                ?? throw new InvalidOperationException("the snapshot file vanished"))
            {
                await state.RestoreAsync(file, cancellationToken);
            }
            mailbox.TryWrite(message);
        }

        public void OnUnreachable(string peer, ulong partitionId, ulong replicaId) { }

        public void OnPeerUnreachable(string peer) { }
    }

    /// <summary>A state of <c>length</c> pseudo-random bytes, produced as it is written out: the sender holds none of it.</summary>
    private sealed class GeneratedStateMachine(long length) : IStateMachine
    {
        public ulong Digest { get; private set; }

        public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command) => command;

        public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => query;

        public async ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default)
        {
            var hash = new XxHash64();
            var buffer = new byte[64 * 1024];
            var x = 0x9E3779B97F4A7C15UL;
            for (long written = 0; written < length; written += buffer.Length)
            {
                var span = buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - written));
                for (var i = 0; i + 8 <= span.Length; i += 8)
                {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    BitConverter.TryWriteBytes(span[i..], x);
                }
                hash.Append(span);
                await destination.WriteAsync(buffer.AsMemory(0, span.Length), cancellationToken);
            }
            Digest = hash.GetCurrentHashAsUInt64();
        }

        public ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the generated state is only ever sent");
    }

    /// <summary>
    /// The follower's state machine keeps a digest of its state instead of the bytes, so what the figure measures is
    /// the transfer and restore path, not the size of an in-memory state.
    /// </summary>
    private sealed class DigestStateMachine : IStateMachine
    {
        public ulong Digest { get; private set; }

        public long Length { get; private set; }

        public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command) => command;

        public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => query;

        public ValueTask SnapshotAsync(Stream destination, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the digest cannot be expanded again");

        public async ValueTask RestoreAsync(Stream source, CancellationToken cancellationToken = default)
        {
            var hash = new XxHash64();
            var buffer = new byte[64 * 1024];
            long length = 0;
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.Append(buffer.AsSpan(0, n));
                length += n;
            }
            Digest = hash.GetCurrentHashAsUInt64();
            Length = length;
        }
    }
}
