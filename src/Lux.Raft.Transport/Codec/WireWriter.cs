using System.Buffers.Binary;

namespace Lux.Raft.Transport.Codec;

/// <summary>Writes the primitive encodings of the wire format into a span the caller sized exactly.</summary>
internal ref struct WireWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;
    private int _position;

    public readonly int Position => _position;

    public void WriteByte(byte value) => _destination[_position++] = value;

    public void WriteVarUInt(ulong value)
    {
        if (value < 0x80)
        {
            _destination[_position++] = (byte)value;
            return;
        }
        while (value >= 0x80)
        {
            _destination[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _destination[_position++] = (byte)value;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_destination[_position..]);
        _position += value.Length;
    }

    public void WriteLengthPrefixed(ReadOnlySpan<byte> value)
    {
        WriteVarUInt((ulong)value.Length);
        WriteBytes(value);
    }

    /// <summary>The unwritten rest of the destination, for loops that write many fields at once.</summary>
    public readonly Span<byte> Free => _destination[_position..];

    /// <summary>Accounts for <paramref name="count"/> bytes written into <see cref="Free"/>.</summary>
    public void Skip(int count) => _position += count;

    /// <summary>Writes a varint at <paramref name="position"/>; returns the position after it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int WriteVarUInt(Span<byte> destination, int position, ulong value)
    {
        if (value < 0x80)
        {
            destination[position] = (byte)value;
            return position + 1;
        }
        while (value >= 0x80)
        {
            destination[position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[position++] = (byte)value;
        return position;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int VarUIntSize(ulong value)
    {
        if (value < 0x80) return 1;
        // 7 payload bits per byte; a zero still takes one byte.
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1);
        return (bits + 6) / 7;
    }

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
