using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lux.Raft.Transport.Codec;

/// <summary>CRC-32C (Castagnoli), the checksum of every frame; hardware-accelerated where the CPU has it.</summary>
/// <remarks>
/// The CRC instruction has a latency of several cycles but accepts a new input every cycle, so one chain of updates
/// leaves most of it idle. Buffers of at least <see cref="InterleavedRound"/> bytes are checksummed as three independent
/// chains over adjacent blocks, joined afterwards: a CRC update is linear, so the state after block A then block B is
/// the state after A advanced over |B| zero bytes, xor the checksum of B alone; advancing over a fixed block length is
/// four table lookups.
/// </remarks>
public static class Crc32C
{
    /// <summary>The initial state of a running checksum.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    private const int Lane = 128;

    /// <summary>Bytes consumed by one round of three interleaved chains.</summary>
    internal const int InterleavedRound = 3 * Lane;

    // Four 256-entry tables: the state advanced over Lane zero bytes is the xor of one entry per state byte.
    private static readonly uint[] s_advanceLane = BuildAdvanceTable(Lane);

    /// <summary>Adds <paramref name="data"/> to a running checksum state.</summary>
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        if (data.Length >= InterleavedRound) state = AppendInterleaved(state, ref data);
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

    /// <summary>Consumes whole rounds from the front of <paramref name="data"/>, three chains at a time.</summary>
    private static uint AppendInterleaved(uint state, ref ReadOnlySpan<byte> data)
    {
        var table = s_advanceLane;
        while (data.Length >= InterleavedRound)
        {
            ref var start = ref MemoryMarshal.GetReference(data);
            uint a = state, b = 0, c = 0;
            for (var i = 0; i < Lane; i += 8)
            {
                a = BitOperations.Crc32C(a, ReadUInt64(ref start, i));
                b = BitOperations.Crc32C(b, ReadUInt64(ref start, Lane + i));
                c = BitOperations.Crc32C(c, ReadUInt64(ref start, 2 * Lane + i));
            }
            state = Advance(table, Advance(table, a) ^ b) ^ c;
            data = data[InterleavedRound..];
        }
        return state;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte start, int offset)
    {
        var value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Advance(uint[] table, uint state) =>
        table[(byte)state] ^ table[256 + (byte)(state >> 8)] ^ table[512 + (byte)(state >> 16)] ^ table[768 + (int)(state >> 24)];

    private static uint[] BuildAdvanceTable(int zeroBytes)
    {
        var table = new uint[4 * 256];
        for (var position = 0; position < 4; position++)
        {
            for (var value = 0; value < 256; value++)
            {
                var state = (uint)value << (8 * position);
                for (var i = 0; i < zeroBytes; i += 8) state = BitOperations.Crc32C(state, 0UL);
                table[position * 256 + value] = state;
            }
        }
        return table;
    }
}
