using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// The key of a chunk document: partition then first index, both big-endian, so LiteDB's byte-wise comparison of
/// binary keys orders chunks by partition and then by index and a partition's chunks form one range of the _id index.
/// </summary>
internal static class ChunkKey
{
    public const int Size = 16;

    public static byte[] Create(ulong partition, ulong firstIndex)
    {
        var key = new byte[Size];
        BinaryPrimitives.WriteUInt64BigEndian(key, partition);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(8), firstIndex);
        return key;
    }

    public static bool TryParse(byte[] key, out ulong partition, out ulong firstIndex)
    {
        partition = firstIndex = 0;
        if (key.Length != Size) return false;
        partition = BinaryPrimitives.ReadUInt64BigEndian(key);
        firstIndex = BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(8));
        return true;
    }
}

/// <summary>
/// A chunk is a run of consecutive entries of one partition packed into one LiteDB document, each record carrying its
/// own CRC-32, so a damaged record is found where it is and everything before it stays usable.
/// Layout: magic u32, partition u64, first index u64; then per entry: data length u32, index u64, term u64, type u8,
/// data, CRC-32 of the record's preceding bytes u32 (all little-endian).
/// </summary>
internal static class ChunkCodec
{
    public const uint Magic = 0x3143584C; // "LXC1"
    public const int HeaderSize = 20;
    public const int RecordHeaderSize = 21;
    public const int RecordOverhead = RecordHeaderSize + 4;

    public static int RecordSize(in Entry entry) => RecordOverhead + entry.Data.Length;

    /// <summary>The payload size of a chunk holding <paramref name="entries"/>.</summary>
    public static int Size(ReadOnlySpan<Entry> entries)
    {
        var size = HeaderSize;
        foreach (ref readonly var e in entries) size += RecordSize(e);
        return size;
    }

    /// <summary>Encodes consecutive entries into one chunk payload of exactly <see cref="Size"/> bytes.</summary>
    public static void Encode(ulong partition, ReadOnlySpan<Entry> entries, Span<byte> span)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(span[4..], partition);
        BinaryPrimitives.WriteUInt64LittleEndian(span[12..], entries[0].Index);
        var offset = HeaderSize;
        foreach (ref readonly var e in entries)
        {
            var record = span.Slice(offset, RecordSize(e));
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)e.Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(record[4..], e.Index);
            BinaryPrimitives.WriteUInt64LittleEndian(record[12..], e.Term);
            record[20] = (byte)e.Type;
            e.Data.Span.CopyTo(record[RecordHeaderSize..]);
            var body = record[..^4];
            BinaryPrimitives.WriteUInt32LittleEndian(record[^4..], Crc32.HashToUInt32(body));
            offset += record.Length;
        }
    }
}

/// <summary>Reads a chunk payload record by record, checking each record's CRC and its place in the sequence.</summary>
internal struct ChunkReader
{
    private readonly byte[] _payload;
    private readonly ulong _partition;

    public ChunkReader(byte[] payload, ulong partition, ulong keyFirstIndex)
    {
        _payload = payload;
        _partition = partition;
        NextIndex = keyFirstIndex;
        Offset = ChunkCodec.HeaderSize;
        Error = null;
        if (payload.Length < ChunkCodec.HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(payload) != ChunkCodec.Magic)
        {
            Error = "bad chunk header";
        }
        else if (BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(4)) != partition
                 || BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(12)) != keyFirstIndex)
        {
            Error = "chunk header does not match its key";
        }
    }

    /// <summary>Index the next record should carry.</summary>
    public ulong NextIndex { get; private set; }

    /// <summary>Byte offset of the next record: the payload up to here is a valid chunk on its own.</summary>
    public int Offset { get; private set; }

    /// <summary>Why reading stopped early, or null.</summary>
    public string? Error { get; private set; }

    public readonly bool AtEnd => Error is null && Offset == _payload.Length;

    public bool TryRead(out Entry entry)
    {
        entry = default;
        if (Error is not null || Offset >= _payload.Length) return false;
        var rest = _payload.AsSpan(Offset);
        if (rest.Length < ChunkCodec.RecordOverhead)
        {
            Error = $"truncated record at index {NextIndex}";
            return false;
        }
        var length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        if (length > (uint)(rest.Length - ChunkCodec.RecordOverhead))
        {
            Error = $"record length {length} at index {NextIndex} runs past the chunk";
            return false;
        }
        var size = ChunkCodec.RecordOverhead + (int)length;
        var body = rest[..(size - 4)];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(rest[(size - 4)..]))
        {
            Error = $"checksum mismatch at index {NextIndex}";
            return false;
        }
        var index = BinaryPrimitives.ReadUInt64LittleEndian(rest[4..]);
        if (index != NextIndex)
        {
            Error = $"record carries index {index} where {NextIndex} belongs";
            return false;
        }
        var type = rest[20];
        if (type > (byte)EntryType.ConfChange)
        {
            Error = $"unknown entry type {type} at index {index}";
            return false;
        }
        var term = BinaryPrimitives.ReadUInt64LittleEndian(rest[12..]);
        entry = new Entry(index, term, (EntryType)type, _payload.AsMemory(Offset + ChunkCodec.RecordHeaderSize, (int)length));
        Offset += size;
        NextIndex++;
        return true;
    }

    /// <summary>The partition this chunk belongs to.</summary>
    public readonly ulong Partition => _partition;
}
