using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Lux.Raft.Transport.Codec;

/// <summary>CRC-32C (Castagnoli), the checksum of every frame; hardware-accelerated where the CPU has it.</summary>
public static class Crc32C
{
    /// <summary>The initial state of a running checksum.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    /// <summary>Adds <paramref name="data"/> to a running checksum state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        if (data.Length >= 4)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt32LittleEndian(data));
            data = data[4..];
        }
        foreach (var b in data) state = BitOperations.Crc32C(state, b);
        return state;
    }

    /// <summary>Adds every segment of <paramref name="data"/> to a running checksum state.</summary>
    public static uint Append(uint state, in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment) return Append(state, data.FirstSpan);
        foreach (var segment in data) state = Append(state, segment.Span);
        return state;
    }

    /// <summary>Turns a running state into the final checksum value.</summary>
    public static uint Finish(uint state) => ~state;

    /// <summary>The checksum of one buffer.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
