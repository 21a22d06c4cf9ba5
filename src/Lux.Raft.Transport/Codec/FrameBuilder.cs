using System.Buffers;

namespace Lux.Raft.Transport.Codec;

/// <summary>
/// Lays out one frame in an <see cref="IBufferWriter{T}"/>: the caller fills <see cref="Body"/>, then <see cref="Complete"/>
/// writes the header and checksum. Small frames are built in place in the writer's buffer; large ones in a pooled array
/// that is then copied over in pieces, so a large frame never makes the writer allocate a buffer of its size.
/// </summary>
internal ref struct FrameBuilder
{
    /// <summary>Frames up to this size are encoded directly into the writer's memory.</summary>
    internal const int InPlaceLimit = 16 * 1024;

    private readonly IBufferWriter<byte> _writer;
    private readonly Span<byte> _frame;
    private readonly byte[]? _rented;
    private readonly byte _type;
    private readonly ulong _partitionId;
    private readonly int _bodySize;

    public FrameBuilder(IBufferWriter<byte> writer, byte type, ulong partitionId, int bodySize)
    {
        _writer = writer;
        _type = type;
        _partitionId = partitionId;
        _bodySize = bodySize;
        var total = FrameHeader.Size + bodySize;
        if (total <= InPlaceLimit)
        {
            _frame = writer.GetSpan(total)[..total];
        }
        else
        {
            _rented = ArrayPool<byte>.Shared.Rent(total);
            _frame = _rented.AsSpan(0, total);
        }
    }

    public readonly Span<byte> Body => _frame.Slice(FrameHeader.Size, _bodySize);

    /// <summary>Seals the frame and commits it to the writer.</summary>
    /// <returns>The frame's size in bytes, header included.</returns>
    public readonly int Complete()
    {
        FrameHeader.WriteWithoutChecksum(_frame, _type, _bodySize, _partitionId);
        FrameHeader.Seal(_frame, Body);
        if (_rented is null)
        {
            _writer.Advance(_frame.Length);
            return _frame.Length;
        }
        try
        {
            ReadOnlySpan<byte> rest = _frame;
            while (!rest.IsEmpty)
            {
                var target = _writer.GetSpan(Math.Min(rest.Length, InPlaceLimit));
                var n = Math.Min(target.Length, rest.Length);
                rest[..n].CopyTo(target);
                _writer.Advance(n);
                rest = rest[n..];
            }
            return _frame.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}
