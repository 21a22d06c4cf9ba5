using System.Buffers;
using System.Buffers.Binary;

namespace Lux.Raft.Transport.Codec;

/// <summary>
/// The fixed 20-byte header in front of every frame (little-endian):
/// <c>version:u8 | type:u8 | flags:u16 | length:u32 | partition:u64 | crc32c:u32</c>.
/// The checksum covers header bytes 0–15 and the payload, so a flipped partition id or length is caught too.
/// </summary>
/// <param name="Version">Wire-format version of the frame.</param>
/// <param name="Type">The frame type byte (see <see cref="FrameType"/> and <see cref="Lux.Raft.MessageType"/>).</param>
/// <param name="Flags">Reserved; zero in version 1.</param>
/// <param name="Length">Payload length in bytes.</param>
/// <param name="PartitionId">The Raft group the frame belongs to; zero for channel frames.</param>
/// <param name="Checksum">CRC-32C over header bytes 0–15 and the payload.</param>
public readonly record struct FrameHeader(byte Version, byte Type, ushort Flags, uint Length, ulong PartitionId, uint Checksum)
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 20;

    /// <summary>The wire-format version this build writes.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Bytes of the header covered by the checksum.</summary>
    internal const int ChecksummedSize = 16;

    /// <summary>Writes the header with a zero checksum field.</summary>
    internal static void WriteWithoutChecksum(Span<byte> destination, byte type, int length, ulong partitionId)
    {
        destination[0] = CurrentVersion;
        destination[1] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)length);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], partitionId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], 0);
    }

    /// <summary>Stores the checksum of the header written at <paramref name="header"/> and <paramref name="payload"/>.</summary>
    internal static void Seal(Span<byte> header, ReadOnlySpan<byte> payload)
    {
        var state = Crc32C.Append(Crc32C.Seed, header[..ChecksummedSize]);
        state = Crc32C.Append(state, payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32C.Finish(state));
    }

    /// <summary>Parses a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    internal static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        source[0], source[1],
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[16..]));

    /// <summary>Parses a header from the start of a possibly segmented buffer holding at least <see cref="Size"/> bytes.</summary>
    internal static FrameHeader Read(in ReadOnlySequence<byte> source, Span<byte> scratch)
    {
        if (source.FirstSpan.Length >= Size) return Read(source.FirstSpan);
        source.Slice(0, Size).CopyTo(scratch);
        return Read(scratch);
    }

    /// <summary>Checks a header against the rules of <paramref name="version"/> before its payload is awaited.</summary>
    /// <exception cref="ProtocolViolationException">The header is malformed or announces a payload over <paramref name="maxLength"/>.</exception>
    internal void Validate(byte version, int maxLength)
    {
        if (Version != version) throw new ProtocolViolationException($"frame version {Version}, expected {version}");
        if (!FrameTypes.IsKnown(Type)) throw new ProtocolViolationException($"unknown frame type 0x{Type:X2}");
        if (Flags != 0) throw new ProtocolViolationException($"unknown frame flags 0x{Flags:X4}");
        if (Length > (uint)maxLength) throw new ProtocolViolationException($"frame length {Length} exceeds the limit of {maxLength}");
    }

    /// <summary>Verifies the checksum against the header bytes and the payload.</summary>
    internal static bool ChecksumMatches(ReadOnlySpan<byte> headerBytes, in ReadOnlySequence<byte> payload, uint expected)
    {
        var state = Crc32C.Append(Crc32C.Seed, headerBytes[..ChecksummedSize]);
        state = Crc32C.Append(state, payload);
        return Crc32C.Finish(state) == expected;
    }
}
