using System.Buffers;
using Lux.Raft;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Diagnostics;

namespace Lux.Raft.Transport.Sessions;

internal sealed partial class InboundSession
{
    private readonly Lock _streamsGate = new();
    private readonly Dictionary<ulong, (ulong PartitionId, SnapshotReceiveStream Stream)> _streams = [];
    private ulong _highestStreamId;

    /// <summary>Opens a stream and runs the handler on it beside the read loop, which must keep serving other partitions.</summary>
    private void BeginSnapshot(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        var (streamId, message) = FrameCodec.ReadSnapshotBegin(Contiguous(payload));
        var partitionId = header.PartitionId;
        var window = _transport.Options.SnapshotWindowBytes;
        SnapshotReceiveStream stream;
        lock (_streamsGate)
        {
            if (streamId <= _highestStreamId) throw new ProtocolViolationException($"snapshot stream id {streamId} reused");
            _highestStreamId = streamId;
            if (_streams.Count >= _transport.Options.MaxConcurrentSnapshots)
            {
                PostControl(FrameType.SnapshotResult, partitionId, streamId, (ulong)SnapshotStatus.Busy);
                return;
            }
            stream = new SnapshotReceiveStream(window, _transport.Options.SnapshotChunkSize, grant => PostControl(FrameType.SnapshotCredit, partitionId, streamId, grant));
            _streams.Add(streamId, (partitionId, stream));
        }
        PostControl(FrameType.SnapshotCredit, partitionId, streamId, (ulong)window);
        var peer = Peer!;
        _ = Task.Run(() => RunSnapshotHandlerAsync(peer, partitionId, streamId, message, stream));
    }

    private async Task RunSnapshotHandlerAsync(string peer, ulong partitionId, ulong streamId, Message message, SnapshotReceiveStream stream)
    {
        var status = SnapshotStatus.Accepted;
        try
        {
            await _transport.Handler.OnSnapshotAsync(peer, partitionId, message, stream, _supervision.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            status = SnapshotStatus.Failed;
            TransportLog.SnapshotHandlerFailed(_transport.Logger, e, peer, partitionId);
        }
        finally
        {
            lock (_streamsGate) _streams.Remove(streamId);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        PostControl(FrameType.SnapshotResult, partitionId, streamId, (ulong)status);
    }

    private void AppendSnapshot(in ReadOnlySequence<byte> payload)
    {
        Span<byte> start = stackalloc byte[10];
        var prefix = payload.Slice(0, Math.Min(10, payload.Length));
        prefix.CopyTo(start);
        var (streamId, offset) = FrameCodec.ReadSnapshotChunkHeader(start[..(int)prefix.Length]);
        var stream = Find(streamId);
        stream?.Append(payload.Slice(offset));
    }

    private void EndSnapshot(FrameType type, in ReadOnlySequence<byte> payload)
    {
        var (streamId, total) = FrameCodec.ReadStreamControl(Contiguous(payload));
        var stream = Find(streamId);
        if (stream is null) return;
        if (type == FrameType.SnapshotEnd) stream.Complete(total);
        else stream.Fault(new IOException("the sender aborted the snapshot"));
    }

    /// <summary>
    /// The live stream with this id, or null for one that already finished (its handler returned before all data came).
    /// An id never opened is a violation.
    /// </summary>
    private SnapshotReceiveStream? Find(ulong streamId)
    {
        lock (_streamsGate)
        {
            if (_streams.TryGetValue(streamId, out var entry)) return entry.Stream;
            if (streamId == 0 || streamId > _highestStreamId) throw new ProtocolViolationException($"data for snapshot stream {streamId} that was never opened");
            return null;
        }
    }

    private void PostControl(FrameType type, ulong partitionId, ulong streamId, ulong value) =>
        _control.Writer.TryWrite(new ControlFrame(type, partitionId, streamId, value));

    private void FailStreams(Exception error)
    {
        lock (_streamsGate)
        {
            foreach (var (_, stream) in _streams.Values) stream.Fault(error);
        }
    }
}
