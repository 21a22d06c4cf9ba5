using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Lux.Raft;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Diagnostics;

namespace Lux.Raft.Transport.Sessions;

internal sealed partial class OutboundPeer
{
    /// <summary>
    /// Drains the queue into the connection: each wake takes everything queued, encodes it straight into the pipe's
    /// buffers, gathers heartbeats into batch frames at the end, and flushes once (or every <c>MaxBatchBytes</c>).
    /// </summary>
    private async Task WriteLoopAsync(PeerLink link, long epoch, CancellationToken ct)
    {
        var output = link.Output;
        var heartbeats = new List<(ulong PartitionId, Message Message)>();
        using var wakeOnCancel = ct.UnsafeRegister(static queue => ((SendQueue)queue!).Wake(), _queue);
        while (true)
        {
            // Items queued before this session existed woke the connection loop, not this one: look before waiting.
            if (_queue.Count == 0 && !_stopping) await _queue.WaitAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            var items = _queue.TakeAll();
            var next = 0;
            try
            {
                int frames = 0, messages = 0, batches = 0;
                long bytes = 0, unflushed = 0;
                for (; next < items.Count; next++)
                {
                    var item = items[next];
                    int written;
                    if (item.Message is { } message)
                    {
                        if (FrameCodec.IsCoalescable(message.Type))
                        {
                            heartbeats.Add((item.PartitionId, message));
                            continue;
                        }
                        written = WriteMessage(output, item.PartitionId, message, item.PayloadBytes);
                        if (written > 0) messages++;
                    }
                    else
                    {
                        written = WriteSnapshotFrame(output, item, epoch);
                    }
                    if (written == 0) continue;
                    frames++;
                    bytes += written;
                    unflushed += written;
                    if (unflushed >= _options.MaxBatchBytes)
                    {
                        await FlushAsync(output, ct).ConfigureAwait(false);
                        unflushed = 0;
                    }
                }
                if (heartbeats.Count > 0)
                {
                    var (hbFrames, hbBytes) = WriteHeartbeats(output, heartbeats);
                    frames += hbFrames;
                    bytes += hbBytes;
                    messages += heartbeats.Count;
                    batches = heartbeats.Count > 1 ? hbFrames : 0;
                    heartbeats.Clear();
                }
                if (_stopping && _queue.Count == 0)
                {
                    bytes += FrameCodec.WriteEmpty(output, FrameType.Goodbye);
                    frames++;
                }
                await FlushAsync(output, ct).ConfigureAwait(false);
                _transport.Metrics.Sent(frames, messages, bytes, batches);
            }
            catch
            {
                DropItems(items, next);
                foreach (var (partitionId, message) in heartbeats) _transport.ReportDropped(Peer, partitionId, message);
                heartbeats.Clear();
                throw;
            }
            _queue.Recycle(items);
            if (_stopping && _queue.Count == 0) return;
        }
    }

    private int WriteMessage(PipeWriter output, ulong partitionId, Message message, long payloadBytes)
    {
        // The frame limit is at least 64 KiB, so a message written in place never exceeds it.
        if (FrameCodec.TryWriteMessageInPlace(output, partitionId, message, payloadBytes, out var written)) return written;
        var size = MessageCodec.GetBodySize(message);
        if (size > _options.MaxFrameSize)
        {
            TransportLog.MessageTooLarge(_transport.Logger, Peer, partitionId, message.Type, size, _options.MaxFrameSize);
            _transport.ReportDropped(Peer, partitionId, message);
            return 0;
        }
        return FrameCodec.WriteMessage(output, partitionId, message, size);
    }

    /// <summary>Writes heartbeats as batch frames no larger than the frame limit; a lone heartbeat goes as a plain frame.</summary>
    private (int Frames, long Bytes) WriteHeartbeats(PipeWriter output, List<(ulong PartitionId, Message Message)> heartbeats)
    {
        if (heartbeats.Count == 1)
        {
            var (partitionId, message) = heartbeats[0];
            var written = WriteMessage(output, partitionId, message, MessageCodec.GetPayloadBytes(message));
            return (written > 0 ? 1 : 0, written);
        }
        var all = CollectionsMarshal.AsSpan(heartbeats);
        int frames = 0;
        long bytes = 0;
        var start = 0;
        long size = 10;
        for (var i = 0; i < all.Length; i++)
        {
            var itemSize = FrameCodec.GetHeartbeatItemSize(all[i].PartitionId, all[i].Message);
            if (i > start && size + itemSize > _options.MaxFrameSize)
            {
                bytes += FrameCodec.WriteHeartbeatBatch(output, all[start..i]);
                frames++;
                start = i;
                size = 10;
            }
            size += itemSize;
        }
        bytes += FrameCodec.WriteHeartbeatBatch(output, all[start..]);
        return (frames + 1, bytes);
    }

    private int WriteSnapshotFrame(PipeWriter output, in OutboundItem item, long epoch)
    {
        var sender = item.Snapshot!;
        try
        {
            if (sender.IsFinished) return 0;
            switch (item.SnapshotFrame)
            {
                case FrameType.SnapshotBegin:
                    sender.Epoch = epoch;
                    return FrameCodec.WriteSnapshotBegin(output, sender.PartitionId, sender.StreamId, sender.Message);
                case FrameType.SnapshotChunk when sender.Epoch == epoch:
                    return FrameCodec.WriteSnapshotChunk(output, sender.PartitionId, sender.StreamId, item.Buffer.AsSpan(0, item.Length));
                case FrameType.SnapshotEnd when sender.Epoch == epoch:
                    return FrameCodec.WriteStreamControl(output, FrameType.SnapshotEnd, sender.PartitionId, sender.StreamId, (ulong)sender.BytesSent);
                case FrameType.SnapshotAbort when sender.Epoch == epoch:
                    return FrameCodec.WriteStreamControl(output, FrameType.SnapshotAbort, sender.PartitionId, sender.StreamId, 0);
                default:
                    return 0;
            }
        }
        finally
        {
            if (item.Buffer is { } buffer) sender.ReturnBuffer(buffer);
        }
    }

    private static async ValueTask FlushAsync(PipeWriter output, CancellationToken ct)
    {
        var result = await output.FlushAsync(ct).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled) throw new IOException("connection closed while writing");
    }

    /// <summary>Drops what is queued after a failure, telling the core once per (partition, replica) it concerned.</summary>
    private void DropQueued()
    {
        var items = _queue.TakeAll();
        DropItems(items, 0);
        _queue.Recycle(items);
    }

    private void DropItems(List<OutboundItem> items, int from)
    {
        HashSet<(ulong, ulong)>? reported = null;
        for (var i = from; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Message is { } message)
            {
                reported ??= [];
                if (reported.Add((item.PartitionId, message.To))) _transport.ReportDropped(Peer, item.PartitionId, message);
                else _transport.Metrics.Dropped(1);
            }
            else
            {
                if (item.Buffer is { } buffer) item.Snapshot!.ReturnBuffer(buffer);
                item.Snapshot?.Fail(new PeerChannelException($"connection to '{Peer}' lost"));
            }
        }
        items.RemoveRange(from, items.Count - from);
    }

    private void FailSnapshots(Exception cause)
    {
        foreach (var sender in _snapshots.Values) sender.Fail(new PeerChannelException($"connection to '{Peer}' lost: {cause.Message}", cause));
    }
}
