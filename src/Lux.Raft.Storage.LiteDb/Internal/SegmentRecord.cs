using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>A place in the segment files: segment id and byte offset.</summary>
internal readonly record struct SegmentPosition(ulong Segment, long Offset);

/// <summary>What one operation of a segment record does to the LiteDB index (the record is its redo log).</summary>
internal enum SegmentOp : byte
{
    /// <summary>A new chunk: partition, first index, then the chunk payload itself (entries in <see cref="ChunkCodec"/> format).</summary>
    InsertChunk = 1,

    /// <summary>Removes the chunks of a partition whose first index lies in a range.</summary>
    DeleteChunks = 2,

    /// <summary>Cuts a chunk to a prefix of its payload (a truncated suffix).</summary>
    ShortenChunk = 3,

    /// <summary>A partition's metadata document, whole.</summary>
    UpsertMeta = 4,

    /// <summary>Removes a partition's metadata document.</summary>
    DeleteMeta = 5,
}

/// <summary>
/// A group commit as it lands in a segment file: one record holding every change the commit makes, in the order it
/// made them to LiteDB, so replaying the record redoes the LiteDB transaction. Entry bytes live only here; LiteDB keeps
/// where they are.
/// Layout: magic u32, body length u32, sequence u64, body, CRC-32 of everything before it u32 (little-endian).
/// Body: operations, each a <see cref="SegmentOp"/> byte, partition u64, then per kind: InsertChunk first index u64,
/// length u32, payload; DeleteChunks from u64, to u64; ShortenChunk first index u64, length u32; UpsertMeta length u32,
/// metadata; DeleteMeta nothing.
/// </summary>
internal static class SegmentRecord
{
    public const uint Magic = 0x3152584C; // "LXR1"
    public const int HeaderSize = 16;
    public const int TrailerSize = 4;

    /// <summary>The largest body a reader accepts: a damaged length cannot make it allocate more.</summary>
    public const int MaxBodyBytes = 1 << 30;
}

/// <summary>Builds one segment record in a reused buffer while the writer stages a group commit.</summary>
internal sealed class SegmentRecordWriter
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;

    /// <summary>Where the record being built will start.</summary>
    public SegmentPosition Start { get; private set; }

    public bool IsEmpty => _length == SegmentRecord.HeaderSize;

    public void Begin(SegmentPosition start, ulong sequence)
    {
        Start = start;
        _length = SegmentRecord.HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, SegmentRecord.Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(8), sequence);
    }

    /// <summary>Adds a chunk and returns where its payload will be in the segment file, and the span to encode it into.</summary>
    public Span<byte> InsertChunk(ulong partition, ulong firstIndex, int payloadLength, out long payloadOffset)
    {
        var span = Reserve(1 + 8 + 8 + 4 + payloadLength);
        span[0] = (byte)SegmentOp.InsertChunk;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], partition);
        BinaryPrimitives.WriteUInt64LittleEndian(span[9..], firstIndex);
        BinaryPrimitives.WriteInt32LittleEndian(span[17..], payloadLength);
        payloadOffset = Start.Offset + _length - payloadLength;
        return span[21..];
    }

    public void DeleteChunks(ulong partition, ulong fromIndex, ulong toIndex)
    {
        var span = Reserve(1 + 8 + 8 + 8);
        span[0] = (byte)SegmentOp.DeleteChunks;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], partition);
        BinaryPrimitives.WriteUInt64LittleEndian(span[9..], fromIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(span[17..], toIndex);
    }

    public void ShortenChunk(ulong partition, ulong firstIndex, int length)
    {
        var span = Reserve(1 + 8 + 8 + 4);
        span[0] = (byte)SegmentOp.ShortenChunk;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], partition);
        BinaryPrimitives.WriteUInt64LittleEndian(span[9..], firstIndex);
        BinaryPrimitives.WriteInt32LittleEndian(span[17..], length);
    }

    public void UpsertMeta(ulong partition, ReadOnlySpan<byte> meta)
    {
        var span = Reserve(1 + 8 + 4 + meta.Length);
        span[0] = (byte)SegmentOp.UpsertMeta;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], partition);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], meta.Length);
        meta.CopyTo(span[13..]);
    }

    public void DeleteMeta(ulong partition)
    {
        var span = Reserve(1 + 8);
        span[0] = (byte)SegmentOp.DeleteMeta;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], partition);
    }

    /// <summary>Seals the record (length and checksum) and returns its bytes, valid until the next <see cref="Begin"/>.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        var trailer = Reserve(SegmentRecord.TrailerSize);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(4), _length - SegmentRecord.HeaderSize - SegmentRecord.TrailerSize);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, Crc32.HashToUInt32(_buffer.AsSpan(0, _length - SegmentRecord.TrailerSize)));
        return _buffer.AsSpan(0, _length);
    }

    private Span<byte> Reserve(int size)
    {
        if (_length + size > _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(_buffer.Length * 2L, _length + (long)size)));
        }
        var span = _buffer.AsSpan(_length, size);
        _length += size;
        return span;
    }
}

/// <summary>One operation read back from a record.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Partition">The partition it changes.</param>
/// <param name="A">InsertChunk/ShortenChunk: first index; DeleteChunks: from index.</param>
/// <param name="B">DeleteChunks: to index; ShortenChunk: new length.</param>
/// <param name="DataOffset">InsertChunk/UpsertMeta: offset of the payload within the record.</param>
/// <param name="DataLength">InsertChunk/UpsertMeta: payload length.</param>
internal readonly record struct SegmentRecordOp(SegmentOp Kind, ulong Partition, ulong A, ulong B, int DataOffset, int DataLength);

/// <summary>Reads records from a segment file, checking each one's framing, checksum and sequence number.</summary>
internal static class SegmentRecordReader
{
    /// <summary>
    /// Reads the record at <paramref name="offset"/>. Returns null with no error at the exact end of the file, null with
    /// an error for anything that is not a whole, valid record carrying <paramref name="sequence"/> (a torn or damaged tail).
    /// </summary>
    public static byte[]? TryRead(IWalFile file, long offset, long fileLength, ulong sequence, out string? error)
    {
        error = null;
        if (offset == fileLength) return null;
        Span<byte> header = stackalloc byte[SegmentRecord.HeaderSize];
        if (fileLength - offset < SegmentRecord.HeaderSize + SegmentRecord.TrailerSize || file.Read(offset, header) < header.Length)
        {
            error = $"{fileLength - offset} bytes at the end are too short for a record";
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != SegmentRecord.Magic)
        {
            error = header.ContainsAnyExcept((byte)0) ? "bytes that are not a record header" : "zeros where a record should start";
            return null;
        }
        var body = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (body < 0 || body > SegmentRecord.MaxBodyBytes || body > fileLength - offset - SegmentRecord.HeaderSize - SegmentRecord.TrailerSize)
        {
            error = $"a record of {body} bytes that runs past the end of the file (torn write)";
            return null;
        }
        var record = new byte[SegmentRecord.HeaderSize + body + SegmentRecord.TrailerSize];
        if (file.Read(offset, record) < record.Length)
        {
            error = "a record cut short by the end of the file";
            return null;
        }
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(record.Length - SegmentRecord.TrailerSize));
        if (Crc32.HashToUInt32(record.AsSpan(0, record.Length - SegmentRecord.TrailerSize)) != crc)
        {
            error = "a record whose checksum does not match (torn or damaged)";
            return null;
        }
        var found = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(8));
        if (found != sequence)
        {
            error = $"a record with sequence number {found} where {sequence} belongs";
            return null;
        }
        return record;
    }

    /// <summary>The operations of a record that passed <see cref="TryRead"/>.</summary>
    /// <exception cref="FormatException">An operation runs past the record (a record written by something else).</exception>
    public static List<SegmentRecordOp> Operations(byte[] record)
    {
        var ops = new List<SegmentRecordOp>();
        var end = record.Length - SegmentRecord.TrailerSize;
        var at = SegmentRecord.HeaderSize;
        while (at < end)
        {
            var kind = (SegmentOp)record[at];
            var partition = U64(record, at + 1, end);
            at += 9;
            switch (kind)
            {
                case SegmentOp.InsertChunk:
                {
                    var first = U64(record, at, end);
                    var length = Length(record, at + 8, end);
                    ops.Add(new(kind, partition, first, 0, at + 12, length));
                    at += 12 + length;
                    break;
                }
                case SegmentOp.DeleteChunks:
                    ops.Add(new(kind, partition, U64(record, at, end), U64(record, at + 8, end), 0, 0));
                    at += 16;
                    break;
                case SegmentOp.ShortenChunk:
                {
                    var length = at + 12 <= end ? BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(at + 8)) : -1;
                    if (length < 0) throw new FormatException("a chunk length that is not valid");
                    ops.Add(new(kind, partition, U64(record, at, end), (ulong)length, 0, 0));
                }
                    at += 12;
                    break;
                case SegmentOp.UpsertMeta:
                {
                    var length = Length(record, at, end);
                    ops.Add(new(kind, partition, 0, 0, at + 4, length));
                    at += 4 + length;
                    break;
                }
                case SegmentOp.DeleteMeta:
                    ops.Add(new(kind, partition, 0, 0, 0, 0));
                    break;
                default:
                    throw new FormatException($"unknown operation {(byte)kind}");
            }
            if (at > end) throw new FormatException("an operation runs past its record");
        }
        return ops;
    }

    private static ulong U64(byte[] record, int at, int end) =>
        at + 8 <= end ? BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(at)) : throw new FormatException("an operation runs past its record");

    private static int Length(byte[] record, int at, int end)
    {
        var length = at + 4 <= end ? BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(at)) : -1;
        return length >= 0 && length <= end - at - 4 ? length : throw new FormatException("an operation's length runs past its record");
    }
}
