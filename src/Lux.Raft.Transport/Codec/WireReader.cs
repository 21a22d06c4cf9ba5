using System.Buffers.Binary;
using System.Runtime.CompilerServices;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if (_position >= _source.Length) throw Truncated();
        return _source[_position++];
    }

    /// <summary>Reads a LEB128 varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarUInt()
    {
        (var value, _position) = ReadVarUInt(_source, _position);
        return value;
    }

    /// <summary>
    /// Reads a LEB128 varint at <paramref name="position"/> of <paramref name="source"/>, for loops that keep their
    /// position in a local; the one-byte form (values below 128, most of an Append's fields) is inlined.
    /// </summary>
    /// <returns>The value and the position after it.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (ulong Value, int Next) ReadVarUInt(ReadOnlySpan<byte> source, int position)
    {
        if ((uint)position < (uint)source.Length)
        {
            var first = source[position];
            if (first < 0x80) return (first, position + 1);
        }
        return ReadVarUIntSlow(source, position);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (ulong Value, int Next) ReadVarUIntSlow(ReadOnlySpan<byte> source, int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if ((uint)position >= (uint)source.Length) throw Truncated();
            var b = source[position++];
            if (shift == 63 && b > 1) throw new ProtocolViolationException("varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (b == 0 && shift > 0) throw new ProtocolViolationException("overlong varint");
                return (result, position);
            }
        }
        throw new ProtocolViolationException("varint longer than 10 bytes");
    }

    /// <summary>The bytes the reader walks, for loops that read many fields with the position in a local (<see cref="MoveTo"/>).</summary>
    public readonly ReadOnlySpan<byte> Source => _source;

    /// <summary>Continues reading at <paramref name="position"/>, where a loop over <see cref="Source"/> stopped.</summary>
    public void MoveTo(int position)
    {
        if ((uint)position > (uint)_source.Length) throw Truncated();
        _position = position;
    }

    /// <summary>Reads a byte length, which can never exceed the bytes left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadLength()
    {
        var value = ReadVarUInt();
        if (value > (ulong)Remaining) throw LengthExceeds(value);
        return (int)value;
    }

    /// <summary>Reads an item count, which can never exceed what the remaining bytes could hold at the smallest item size.</summary>
    public int ReadLength(int minimumBytesPerItem)
    {
        var value = ReadVarUInt();
        // This keeps a hostile count from sizing an allocation.
        if (value > (ulong)(Remaining / Math.Max(1, minimumBytesPerItem))) throw LengthExceeds(value);
        return (int)value;
    }

    private readonly ProtocolViolationException LengthExceeds(ulong value) => new($"length {value} exceeds the {Remaining} bytes left in the frame");

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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    internal static ProtocolViolationException Truncated() => new("body ends early");
}
