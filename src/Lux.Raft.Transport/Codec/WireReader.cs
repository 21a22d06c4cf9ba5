using System.Buffers.Binary;

namespace Lux.Raft.Transport.Codec;

/// <summary>
/// Reads the primitive encodings of the wire format from untrusted bytes. Every read checks bounds and throws
/// <see cref="ProtocolViolationException"/> rather than reading past the end or accepting an overlong encoding.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> source)
{
    private readonly ReadOnlySpan<byte> _source = source;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _source.Length - _position;

    public readonly bool AtEnd => _position == _source.Length;

    public byte ReadByte()
    {
        if (_position >= _source.Length) throw Truncated();
        return _source[_position++];
    }

    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1) throw new ProtocolViolationException("varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (b == 0 && shift > 0) throw new ProtocolViolationException("overlong varint");
                return result;
            }
        }
        throw new ProtocolViolationException("varint longer than 10 bytes");
    }

    public int ReadLength(int minimumBytesPerItem = 1)
    {
        var value = ReadVarUInt();
        // A count can never exceed what the remaining bytes could hold: this keeps a hostile count from sizing an allocation.
        if (value > (ulong)(Remaining / Math.Max(1, minimumBytesPerItem)))
            throw new ProtocolViolationException($"length {value} exceeds the {Remaining} bytes left in the frame");
        return (int)value;
    }

    public uint ReadUInt32()
    {
        if (Remaining < 4) throw Truncated();
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_source[_position..]);
        _position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > Remaining) throw Truncated();
        var slice = _source.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>Reads a length prefix and returns the offset and length of the bytes it announces.</summary>
    public (int Offset, int Length) ReadLengthPrefixedRange()
    {
        var length = ReadLength();
        var offset = _position;
        _position += length;
        return (offset, length);
    }

    public readonly void ExpectEnd()
    {
        if (!AtEnd) throw new ProtocolViolationException($"{Remaining} unexpected bytes after the body");
    }

    private static ProtocolViolationException Truncated() => new("body ends early");
}
