using Lux.Raft;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>One thing waiting in a peer's send queue: a Raft message, or a frame of a snapshot stream.</summary>
internal readonly struct OutboundItem
{
    private OutboundItem(ulong partitionId, Message? message, SnapshotSender? snapshot, FrameType snapshotFrame, byte[]? buffer, int length)
    {
        PartitionId = partitionId;
        Message = message;
        Snapshot = snapshot;
        SnapshotFrame = snapshotFrame;
        Buffer = buffer;
        Length = length;
    }

    public ulong PartitionId { get; }

    public Message? Message { get; }

    public SnapshotSender? Snapshot { get; }

    public FrameType SnapshotFrame { get; }

    /// <summary>Chunk data, rented from the shared pool; returned by whoever writes or drops the item.</summary>
    public byte[]? Buffer { get; }

    public int Length { get; }

    public static OutboundItem ForMessage(ulong partitionId, Message message) => new(partitionId, message, null, default, null, 0);

    public static OutboundItem ForSnapshot(SnapshotSender sender, FrameType frame, byte[]? buffer = null, int length = 0) =>
        new(sender.PartitionId, null, sender, frame, buffer, length);

    /// <summary>Bytes a message counts for against the queue's byte limit.</summary>
    public static long Weight(Message message)
    {
        var entries = message.Entries;
        long bytes = 64 + message.Context.Length + (long)entries.Length * Entry.EntryHeaderSize;
        foreach (ref readonly var entry in entries.AsSpan()) bytes += entry.Data.Length;
        return bytes;
    }
}
