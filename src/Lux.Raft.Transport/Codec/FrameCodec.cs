using System.Buffers;
using Lux.Raft;

namespace Lux.Raft.Transport.Codec;

/// <summary>Writes and reads whole frames: Raft messages, heartbeat batches, and the channel's own frames.</summary>
public static partial class FrameCodec
{
    /// <summary>Writes <paramref name="message"/> of <paramref name="partitionId"/> as one frame.</summary>
    /// <returns>The frame's size in bytes.</returns>
    public static int WriteMessage(IBufferWriter<byte> writer, ulong partitionId, Message message) =>
        TryWriteMessageInPlace(writer, partitionId, message, out var written)
            ? written
            : WriteMessage(writer, partitionId, message, MessageCodec.GetBodySize(message));

    /// <summary>
    /// Writes a message that surely fits in <see cref="FrameBuilder.InPlaceLimit"/> straight into the writer's buffer in
    /// one pass, sized by <see cref="MessageCodec.GetBodySizeBound(Message, long)"/> rather than exactly.
    /// </summary>
    /// <returns>False, having written nothing, when the message may be larger or carries snapshot metadata.</returns>
    internal static bool TryWriteMessageInPlace(IBufferWriter<byte> writer, ulong partitionId, Message message, out int written) =>
        TryWriteMessageInPlace(writer, partitionId, message, MessageCodec.GetPayloadBytes(message), out written);

    /// <summary>As above, with the message's <see cref="MessageCodec.GetPayloadBytes"/> already known (the send queue sums it).</summary>
    internal static bool TryWriteMessageInPlace(IBufferWriter<byte> writer, ulong partitionId, Message message, long payloadBytes, out int written)
    {
        var bound = MessageCodec.GetBodySizeBound(message, payloadBytes);
        if (bound < 0 || bound > FrameBuilder.InPlaceLimit - FrameHeader.Size)
        {
            written = 0;
            return false;
        }
        var frame = writer.GetSpan(FrameHeader.Size + (int)bound);
        var length = MessageCodec.WriteBody(message, frame[FrameHeader.Size..]);
        FrameHeader.WriteWithoutChecksum(frame, (byte)message.Type, length, partitionId);
        FrameHeader.Seal(frame, frame.Slice(FrameHeader.Size, length));
        written = FrameHeader.Size + length;
        writer.Advance(written);
        return true;
    }

    /// <summary>Writes a message whose body size the caller already computed.</summary>
    internal static int WriteMessage(IBufferWriter<byte> writer, ulong partitionId, Message message, int size)
    {
        var frame = new FrameBuilder(writer, (byte)message.Type, partitionId, size);
        MessageCodec.WriteBody(message, frame.Body);
        return frame.Complete();
    }

    /// <summary>The size of the frame <see cref="WriteMessage(IBufferWriter{byte}, ulong, Message)"/> would write.</summary>
    public static int GetMessageFrameSize(Message message) => FrameHeader.Size + MessageCodec.GetBodySize(message);

    /// <summary>True for the messages that travel in heartbeat batches.</summary>
    public static bool IsCoalescable(MessageType type) => type is MessageType.Heartbeat or MessageType.HeartbeatResponse;

    /// <summary>The payload size of one heartbeat batch item.</summary>
    public static int GetHeartbeatItemSize(ulong partitionId, Message message) =>
        WireWriter.VarUIntSize(partitionId) + 1 + MessageCodec.GetBodySize(message);

    /// <summary>
    /// Writes heartbeats (and heartbeat responses) of many partitions as one frame:
    /// <c>count, then per item partition:varint, type:u8, message body</c>. The frame's header partition id is zero.
    /// </summary>
    /// <returns>The frame's size in bytes.</returns>
    public static int WriteHeartbeatBatch(IBufferWriter<byte> writer, ReadOnlySpan<(ulong PartitionId, Message Message)> items)
    {
        var size = WireWriter.VarUIntSize((ulong)items.Length);
        foreach (var (partitionId, message) in items)
        {
            if (!IsCoalescable(message.Type)) throw new ArgumentException($"{message.Type} does not travel in heartbeat batches", nameof(items));
            size += GetHeartbeatItemSize(partitionId, message);
        }
        var frame = new FrameBuilder(writer, (byte)FrameType.HeartbeatBatch, 0, size);
        var w = new WireWriter(frame.Body);
        w.WriteVarUInt((ulong)items.Length);
        foreach (var (partitionId, message) in items)
        {
            w.WriteVarUInt(partitionId);
            w.WriteByte((byte)message.Type);
            MessageCodec.WriteBody(message, ref w);
        }
        return frame.Complete();
    }

    /// <summary>Decodes a heartbeat batch payload, adding its items to <paramref name="items"/>.</summary>
    /// <exception cref="ProtocolViolationException">The payload is malformed.</exception>
    public static void ReadHeartbeatBatch(ReadOnlySpan<byte> payload, List<(ulong PartitionId, Message Message)> items)
    {
        var r = new WireReader(payload);
        // Smallest item: partition, type, mask: one byte each.
        var count = r.ReadLength(3);
        if (count == 0) throw new ProtocolViolationException("empty heartbeat batch");
        byte[]? backing = null;
        for (var i = 0; i < count; i++)
        {
            var partitionId = r.ReadVarUInt();
            var type = (MessageType)r.ReadByte();
            if (!IsCoalescable(type)) throw new ProtocolViolationException($"message type {(byte)type} in a heartbeat batch");
            items.Add((partitionId, MessageCodec.ReadBody(type, ref r, payload, ref backing)));
        }
        r.ExpectEnd();
    }

    /// <summary>
    /// Takes one whole frame from the front of <paramref name="buffer"/>. The header is validated as soon as it has
    /// arrived, before any of the payload is awaited; the checksum once the payload is complete.
    /// </summary>
    /// <returns>False when more bytes are needed; <paramref name="buffer"/> is then unchanged.</returns>
    /// <exception cref="ProtocolViolationException">The header is invalid or the checksum does not match.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, byte version, int maxLength, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < FrameHeader.Size) return false;
        Span<byte> scratch = stackalloc byte[FrameHeader.Size];
        scoped ReadOnlySpan<byte> headerBytes;
        if (buffer.FirstSpan.Length >= FrameHeader.Size)
        {
            headerBytes = buffer.FirstSpan[..FrameHeader.Size];
        }
        else
        {
            buffer.Slice(0, FrameHeader.Size).CopyTo(scratch);
            headerBytes = scratch;
        }
        var parsed = FrameHeader.Read(headerBytes);
        parsed.Validate(version, maxLength);
        var total = FrameHeader.Size + (long)parsed.Length;
        if (buffer.Length < total) return false;
        var body = buffer.Slice(FrameHeader.Size, parsed.Length);
        if (!FrameHeader.ChecksumMatches(headerBytes, body, parsed.Checksum))
            throw new ProtocolViolationException($"checksum mismatch in a frame of type 0x{parsed.Type:X2}");
        header = parsed;
        payload = body;
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Decodes a Raft message frame's payload.</summary>
    /// <exception cref="ProtocolViolationException">The payload is malformed.</exception>
    public static Message ReadMessage(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (!FrameTypes.IsRaftMessage(header.Type)) throw new ProtocolViolationException($"frame type 0x{header.Type:X2} is not a Raft message");
        if (payload.IsSingleSegment) return MessageCodec.Decode((MessageType)header.Type, payload.FirstSpan);
        return WithContiguous(payload, (MessageType)header.Type, static (type, span) => MessageCodec.Decode(type, span));
    }

    /// <summary>Runs <paramref name="read"/> over a payload made contiguous, in a pooled buffer when it is segmented.</summary>
    internal static TResult WithContiguous<TState, TResult>(in ReadOnlySequence<byte> payload, TState state, ContiguousReader<TState, TResult> read)
        where TState : allows ref struct
    {
        if (payload.IsSingleSegment) return read(state, payload.FirstSpan);
        var length = (int)payload.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(rented);
            return read(state, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal delegate TResult ContiguousReader<TState, TResult>(TState state, ReadOnlySpan<byte> payload) where TState : allows ref struct;
}
