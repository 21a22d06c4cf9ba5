using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>
/// A 16-byte file beside the database saying whether LiteDB's log may be trusted after a crash. LiteDB's log is not
/// synced by group commits (the segment files are), so after a crash its tail may hold pages that never fully reached
/// the disk, and it is discarded: the data file plus the segments rebuild everything. The one exception is a checkpoint
/// cut short: it syncs the log first and writes its length here, because by then the data file may be half-overwritten
/// and only the log can finish the copy. Layout: magic u32, log length u64, CRC-32 of the first 12 bytes u32.
/// </summary>
internal sealed class CheckpointMarker(IWalFile file, bool syncEnabled) : IDisposable
{
    private const uint Magic = 0x314B584C; // "LXK1"
    private const int Size = 16;

    public string Path => file.Path;

    /// <summary>The synced log length of a checkpoint in progress, 0 when none is, null when the file is missing or damaged.</summary>
    public long? Read()
    {
        Span<byte> data = stackalloc byte[Size];
        if (file.Length < Size || file.Read(0, data) < Size) return null;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic) return null;
        if (Crc32.HashToUInt32(data[..12]) != BinaryPrimitives.ReadUInt32LittleEndian(data[12..])) return null;
        var length = BinaryPrimitives.ReadInt64LittleEndian(data[4..]);
        return length >= 0 ? length : null;
    }

    /// <summary>Durably records the synced log length of a checkpoint that is starting, or 0 once it is done.</summary>
    /// <returns>Whether a real fsync was made.</returns>
    public bool Write(long logLength)
    {
        Span<byte> data = stackalloc byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(data, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(data[4..], logLength);
        BinaryPrimitives.WriteUInt32LittleEndian(data[12..], Crc32.HashToUInt32(data[..12]));
        file.Write(0, data);
        if (!syncEnabled) return false;
        file.FlushToDisk();
        return true;
    }

    public void Dispose() => file.Dispose();
}
