using Lux.Raft;
using Lux.Raft.Transport.Codec;

namespace Lux.Raft.Transport.Sessions;

/// <summary>One thing waiting in a peer's send queue: a Raft message, or a frame of a snapshot stream.</summary>
internal readonly struct OutboundItem
{
    private OutboundItem(ulong partitionId, Message? message, SnapshotSender? snapshot, FrameType snapshotFrame, byte[]? buffer, int length,
        long payloadBytes = 0)
    {
        PartitionId = partitionId;
        PayloadBytes = payloadBytes;
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

    /// <summary>The message's entry data and context bytes, summed once when it was queued (the writer sizes its frame from it).</summary>
    public long PayloadBytes { get; }

    public static OutboundItem ForMessage(ulong partitionId, Message message, long payloadBytes) =>
        new(partitionId, message, null, default, null, 0, payloadBytes);

    public static OutboundItem ForSnapshot(SnapshotSender sender, FrameType frame, byte[]? buffer = null, int length = 0) =>
        new(sender.PartitionId, null, sender, frame, buffer, length);

    /// <summary>Bytes a message counts for against the queue's byte limit, from its <see cref="MessageCodec.GetPayloadBytes"/>.</summary>
    public static long Weight(Message message, long payloadBytes) => 64 + payloadBytes + (long)message.Entries.Length * Entry.EntryHeaderSize;
}
