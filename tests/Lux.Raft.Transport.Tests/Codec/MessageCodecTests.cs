using System.Buffers;
using Lux.Raft.Transport.Codec;
using Lux.Raft.Transport.Tests.Support;

namespace Lux.Raft.Transport.Tests.Codec;

public sealed class MessageCodecTests(ITestOutputHelper output)
{
    public static TheoryData<MessageType> WireTypes() => new(Messages.WireTypes);

    public static TheoryData<MessageType> LocalTypes() => new(Enum.GetValues<MessageType>().Where(t => t.IsLocal()));

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void Every_field_of_every_message_type_survives_a_frame_round_trip(MessageType type)
    {
        var message = Messages.Full(type);
        var decoded = RoundTrip(42, message, out var partitionId);
        Assert.Equal(42UL, partitionId);
        Messages.AssertSame(message, decoded);
    }

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void A_message_with_only_defaults_round_trips_in_a_small_frame(MessageType type)
    {
        var message = new Message { Type = type };
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteMessage(writer, 0, message);
        Assert.Equal(FrameHeader.Size + 1, writer.WrittenCount);
        Messages.AssertSame(message, RoundTrip(0, message, out _));
    }

    [Theory]
    [MemberData(nameof(WireTypes))]
    public void A_decoded_message_owns_its_bytes_once_the_receive_buffer_is_reused(MessageType type)
    {
        // The core and the WAL keep what they are handed; a receive buffer goes back to its pool as soon as the frame
        // is consumed. So entry data and context must never be slices of the buffer the frame was read from.
        var message = Messages.Full(type);
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteMessage(writer, 3, message);
        var buffer = writer.WrittenSpan.ToArray();
        var sequence = new ReadOnlySequence<byte>(buffer);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, FrameHeader.CurrentVersion, 1 << 20, out var header, out var payload));
        var decoded = FrameCodec.ReadMessage(header, payload);

        buffer.AsSpan().Fill(0xA5);

        Messages.AssertSame(message, decoded);
    }

    [Theory]
    [MemberData(nameof(LocalTypes))]
    public void Local_message_types_are_refused_by_the_encoder(MessageType type)
    {
        Assert.Throws<ArgumentException>(() => FrameCodec.WriteMessage(new ArrayBufferWriter<byte>(), 1, new Message { Type = type }));
    }

    [Theory]
    [MemberData(nameof(LocalTypes))]
    public void Local_message_types_are_refused_by_the_decoder(MessageType type)
    {
        var frame = RawFrame((byte)type, 1, [0]);
        var sequence = new ReadOnlySequence<byte>(frame);
        var error = Assert.Throws<ProtocolViolationException>(() => FrameCodec.TryReadFrame(ref sequence, 1, 1024, out _, out _));
        Assert.Contains("unknown frame type", error.Message);
    }

    [Fact]
    public void Random_messages_round_trip_whole_and_split_into_segments()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        for (var i = 0; i < 5_000; i++)
        {
            var message = Messages.Random(rng);
            var partition = Messages.Number(rng);
            var writer = new ArrayBufferWriter<byte>();
            var size = FrameCodec.WriteMessage(writer, partition, message);
            Assert.Equal(writer.WrittenCount, size);
            Assert.Equal(size, FrameCodec.GetMessageFrameSize(message));
            var bytes = writer.WrittenSpan.ToArray();
            var cuts = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => rng.Next(1, bytes.Length)).ToArray();
            var sequence = Segments.Split(bytes, cuts);
            Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out var header, out var payload), $"seed {seed}, message {i}");
            Assert.True(sequence.IsEmpty);
            Assert.Equal(partition, header.PartitionId);
            Messages.AssertSame(message, FrameCodec.ReadMessage(header, payload));
        }
    }

    [Fact]
    public void Consecutive_entries_cost_one_byte_of_index_each()
    {
        var append = Messages.Append(1_000_000, entries: 64, valueBytes: 16);
        // 64 entries × (1 delta + 1 term + 1 type + 1 length + 16 data) plus the first index's extra bytes and the header fields.
        Assert.InRange(MessageCodec.GetBodySize(append), 64 * 20, 64 * 20 + 24);
    }

    [Fact]
    public void Decoded_data_shares_one_copy_of_the_body()
    {
        var message = Messages.Full(MessageType.Append);
        var decoded = RoundTrip(1, message, out _);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(decoded.Entries[0].Data, out var first));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(decoded.Context, out var context));
        Assert.Same(first.Array, context.Array);
    }

    [Fact]
    public void Unknown_field_bits_are_refused()
    {
        var body = new byte[] { 0x80, 0x20 }; // mask bit 12: not defined in version 1
        Assert.Throws<ProtocolViolationException>(() => MessageCodec.Decode(MessageType.Vote, body));
    }

    [Fact]
    public void An_entry_count_larger_than_the_body_is_refused_before_allocating()
    {
        // mask = entries (bit 9), then a count of two billion with nothing after it.
        var body = new byte[] { 0x80, 0x04, 0x80, 0x80, 0x80, 0x80, 0x08 };
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProtocolViolationException>(() => MessageCodec.Decode(MessageType.Append, body));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64 * 1024, "the claimed count must not size an allocation");
        Assert.Contains("exceeds", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "overflows")]
    [InlineData(new byte[] { 0x80, 0x00 }, "overlong")]
    [InlineData(new byte[] { 0x80 }, "ends early")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, "overflows")]
    public void Malformed_varints_are_refused(byte[] body, string reason)
    {
        var error = Assert.Throws<ProtocolViolationException>(() => MessageCodec.Decode(MessageType.Vote, body));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Trailing_bytes_after_a_body_are_refused()
    {
        Assert.Throws<ProtocolViolationException>(() => MessageCodec.Decode(MessageType.Vote, [0x00, 0x00]));
    }

    [Fact]
    public void An_unknown_entry_type_is_refused()
    {
        var message = new Message { Type = MessageType.Append, Entries = [new Entry(1, 1, (EntryType)1, new byte[] { 9 })] };
        var body = new byte[MessageCodec.GetBodySize(message)];
        MessageCodec.WriteBody(message, body);
        body[^3] = 7; // the entry's type byte (followed by the data length and one data byte)
        Assert.Throws<ProtocolViolationException>(() => MessageCodec.Decode(MessageType.Append, body));
    }

    [Fact]
    public void Heartbeats_of_many_partitions_round_trip_in_one_batch()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        var items = Enumerable.Range(0, 1000).Select(i => ((ulong)i * 7919, rng.Next(2) == 0
            ? Messages.Heartbeat((ulong)rng.Next())
            : new Message { Type = MessageType.HeartbeatResponse, To = 1, From = 2, Term = 3, Context = new byte[] { (byte)i } })).ToArray();
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteHeartbeatBatch(writer, items);
        var sequence = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out var header, out var payload));
        Assert.Equal((byte)FrameType.HeartbeatBatch, header.Type);
        var decoded = new List<(ulong, Message)>();
        FrameCodec.ReadHeartbeatBatch(payload.ToArray(), decoded);
        Assert.Equal(items.Length, decoded.Count);
        for (var i = 0; i < items.Length; i++)
        {
            Assert.Equal(items[i].Item1, decoded[i].Item1);
            Messages.AssertSame(items[i].Item2, decoded[i].Item2);
        }
    }

    [Fact]
    public void A_batch_refuses_other_message_types()
    {
        Assert.Throws<ArgumentException>(() => FrameCodec.WriteHeartbeatBatch(new ArrayBufferWriter<byte>(), [(1UL, Messages.Append(1))]));
    }

    [Fact]
    public void A_frame_laid_out_in_place_is_byte_for_byte_the_exactly_sized_frame()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (var i = 0; i < 2000; i++)
        {
            var message = Messages.Random(random);
            var exact = new ArrayBufferWriter<byte>();
            FrameCodec.WriteMessage(exact, 9, message, MessageCodec.GetBodySize(message));
            var inPlace = new ArrayBufferWriter<byte>();
            if (!FrameCodec.TryWriteMessageInPlace(inPlace, 9, message, out var written))
            {
                var bound = MessageCodec.GetBodySizeBound(message);
                Assert.True(bound < 0 || bound > FrameBuilder.InPlaceLimit - FrameHeader.Size, $"{message} was not written in place");
                Assert.Equal(0, inPlace.WrittenCount);
                continue;
            }
            Assert.True(MessageCodec.GetBodySize(message) <= MessageCodec.GetBodySizeBound(message), $"bound below the size of {message}");
            Assert.Equal(exact.WrittenCount, written);
            Assert.True(exact.WrittenSpan.SequenceEqual(inPlace.WrittenSpan), $"{message} encoded differently in place");
        }
    }

    [Fact]
    public void A_large_message_is_encoded_without_a_writer_buffer_of_its_size()
    {
        var message = new Message { Type = MessageType.Append, Entries = [new Entry(1, 1, new byte[3 * 1024 * 1024])] };
        var writer = new ChunkCountingWriter();
        var size = FrameCodec.WriteMessage(writer, 5, message);
        Assert.Equal(size, writer.Written);
        Assert.True(writer.LargestRequest <= 16 * 1024, $"asked the writer for {writer.LargestRequest} bytes at once");
        var sequence = new ReadOnlySequence<byte>(writer.Bytes.ToArray());
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out var header, out var payload));
        Messages.AssertSame(message, FrameCodec.ReadMessage(header, payload));
    }

    internal static Message RoundTrip(ulong partitionId, Message message, out ulong decodedPartition)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.WriteMessage(writer, partitionId, message);
        var sequence = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, 1, PeerChannelOptions.DefaultMaxFrameSize, out var header, out var payload));
        decodedPartition = header.PartitionId;
        return FrameCodec.ReadMessage(header, payload);
    }

    /// <summary>A frame with a correct checksum around any type byte and payload.</summary>
    internal static byte[] RawFrame(byte type, ulong partitionId, byte[] payload)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        FrameHeader.WriteWithoutChecksum(frame, type, payload.Length, partitionId);
        payload.CopyTo(frame, FrameHeader.Size);
        FrameHeader.Seal(frame, payload);
        return frame;
    }

    private sealed class ChunkCountingWriter : IBufferWriter<byte>
    {
        private byte[] _current = [];
        public List<byte> Bytes { get; } = [];
        public int LargestRequest { get; private set; }
        public int Written => Bytes.Count;

        public void Advance(int count) => Bytes.AddRange(_current.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            LargestRequest = Math.Max(LargestRequest, sizeHint);
            _current = new byte[Math.Max(sizeHint, 256)];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
