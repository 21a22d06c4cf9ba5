using System.Buffers;
using System.Buffers.Binary;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Codec;

public sealed class FrameHeaderTests
{
    private static byte[] Frame() => Encode(Messages.Full(MessageType.Append), 77);

    private static byte[] Encode(Message message, ulong partitionId)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteMessage(writer, partitionId, message);
        return writer.WrittenSpan.ToArray();
    }

    [Fact]
    public void The_header_carries_version_type_length_partition_and_checksum()
    {
        var frame = Frame();
        Assert.Equal(FrameHeader.CurrentVersion, frame[0]);
        Assert.Equal((byte)MessageType.Append, frame[1]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(2)));
        Assert.Equal((uint)(frame.Length - FrameHeader.Size), BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4)));
        Assert.Equal(77UL, BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8)));
        var crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Seed, frame.AsSpan(0, 16)), frame.AsSpan(FrameHeader.Size)));
        Assert.Equal(crc, BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(16)));
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Every_single_bit_flip_is_caught()
    {
        var frame = Frame();
        for (var bit = 0; bit < frame.Length * 8; bit++)
        {
            var copy = (byte[])frame.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var sequence = new ReadOnlySequence<byte>(copy);
            var parsed = false;
            try
            {
                // A flip in the length field may make the frame look incomplete: that is "need more", not acceptance.
                parsed = FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out _, out _);
            }
            catch (ProtocolViolationException)
            {
            }
            Assert.False(parsed, $"bit {bit} flipped and the frame was accepted");
        }
    }

    [Fact]
    public void A_truncated_frame_asks_for_more_and_leaves_the_buffer_alone()
    {
        var frame = Frame();
        for (var length = 0; length < frame.Length; length++)
        {
            var sequence = new ReadOnlySequence<byte>(frame, 0, length);
            Assert.False(FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out _, out _));
            Assert.Equal(length, sequence.Length);
        }
    }

    [Fact]
    public void A_length_over_the_limit_is_refused_as_soon_as_the_header_arrives()
    {
        var header = new byte[FrameHeader.Size];
        FrameHeader.WriteWithoutChecksum(header, (byte)MessageType.Append, 64 * 1024 * 1024 + 1, 1);
        var sequence = new ReadOnlySequence<byte>(header);
        var error = Assert.Throws<ProtocolViolationException>(() => FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out _, out _));
        Assert.Contains("exceeds the limit", error.Message);
    }

    [Theory]
    [InlineData(0, 2, "version")]
    [InlineData(1, 0xEE, "unknown frame type")]
    [InlineData(2, 1, "flags")]
    public void Bad_header_fields_are_refused(int offset, byte value, string reason)
    {
        var frame = Frame();
        frame[offset] = value;
        var sequence = new ReadOnlySequence<byte>(frame);
        var error = Assert.Throws<ProtocolViolationException>(() => FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out _, out _));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Several_frames_in_one_buffer_are_read_one_after_another()
    {
        var frames = Enumerable.Range(1, 10).Select(i => Encode(Messages.Append((ulong)i), (ulong)i)).SelectMany(f => f).ToArray();
        var sequence = Segments.Split(frames, 7, 100, 333);
        for (var i = 1; i <= 10; i++)
        {
            Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1 << 20, out var header, out var payload));
            Assert.Equal((ulong)i, header.PartitionId);
            Assert.Equal((ulong)i, FrameCodec.ReadMessage(header, payload).Index);
        }
        Assert.True(sequence.IsEmpty);
    }

    [Fact]
    public void Handshake_and_control_frames_round_trip()
    {
        var writer = new ArrayBufferWriter<byte>();
        var nonce = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        FrameCodec.WriteHello(writer, new HelloFrame(1, 1, nonce, "silo-1", "silo-2"));
        FrameCodec.WriteChallenge(writer, new ChallengeFrame(1, nonce, "silo-2", new byte[32]));
        FrameCodec.WriteProof(writer, new byte[] { 1, 2, 3 });
        FrameCodec.WriteStreamControl(writer, FrameType.SnapshotCredit, 9, 3, 1 << 20);
        FrameCodec.WriteSnapshotChunk(writer, 9, 3, new byte[] { 5, 6, 7 });
        FrameCodec.WriteSnapshotBegin(writer, 9, 3, Messages.Full(MessageType.Snapshot));
        var sequence = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out var payload));
        var hello = FrameCodec.ReadHello(payload.ToArray());
        Assert.Equal(("silo-1", "silo-2"), (hello.NodeId, hello.TargetNodeId));
        Assert.Equal(nonce, hello.Nonce);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out payload));
        Assert.Equal("silo-2", FrameCodec.ReadChallenge(payload.ToArray()).NodeId);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out payload));
        Assert.Equal(new byte[] { 1, 2, 3 }, FrameCodec.ReadProof(payload.ToArray()));
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out var header, out payload));
        Assert.Equal((3UL, 1UL << 20), FrameCodec.ReadStreamControl(payload.ToArray()));
        Assert.Equal(9UL, header.PartitionId);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out payload));
        var (streamId, offset) = FrameCodec.ReadSnapshotChunkHeader(payload.ToArray());
        Assert.Equal(3UL, streamId);
        Assert.Equal(new byte[] { 5, 6, 7 }, payload.Slice(offset).ToArray());
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out payload));
        var begin = FrameCodec.ReadSnapshotBegin(payload.ToArray());
        Assert.Equal(3UL, begin.StreamId);
        Messages.AssertSame(Messages.Full(MessageType.Snapshot), begin.Message);
    }
}
