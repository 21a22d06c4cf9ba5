using System.Globalization;
using Lux.Raft;

namespace Lux.Raft.Storage.LiteDb.CrashWriter;

/// <summary>
/// What the crash writer prints and how its entries look, shared with the test that kills it. Before each write it
/// prints an intent line describing the write completely; after the write's task completes (the write is durable) it
/// prints an acknowledgement. A partition has at most one write in flight, so an acknowledgement always refers to
/// that partition's latest intent.
/// </summary>
public static class CrashProtocol
{
    public const string Ready = "READY";

    /// <summary>Payload length of an entry, derived from its identity so a reader can recompute it.</summary>
    public static int Size(ulong partition, ulong index, ulong term) => (int)(Mix(partition, index, term) % 700);

    /// <summary>The entry's payload, derived from its identity.</summary>
    public static byte[] Payload(ulong partition, ulong index, ulong term)
    {
        var data = new byte[Size(partition, index, term)];
        var x = Mix(partition, index, term) | 1;
        for (var i = 0; i < data.Length; i++)
        {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            data[i] = (byte)x;
        }
        return data;
    }

    /// <summary>A short hash of an entry's payload, printed with acknowledged appends.</summary>
    public static uint Hash(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);

    public static Entry[] MakeEntries(ulong partition, ulong from, int count, ulong term) =>
        Enumerable.Range(0, count).Select(i => new Entry(from + (ulong)i, term, Payload(partition, from + (ulong)i, term))).ToArray();

    /// <summary>"I {p} save {hsTerm} {hsVote} {hsCommit} {from} {count} {term} {hashOfLast}".</summary>
    public static string Save(ulong p, HardState hs, ulong from, int count, ulong term, uint hash) =>
        string.Create(CultureInfo.InvariantCulture, $"I {p} save {hs.Term} {hs.Vote} {hs.Commit} {from} {count} {term} {hash}");

    /// <summary>"I {p} compact {index}".</summary>
    public static string Compact(ulong p, ulong index) => string.Create(CultureInfo.InvariantCulture, $"I {p} compact {index}");

    /// <summary>"I {p} snapshot {index} {term}" (membership: voters 1 2 3).</summary>
    public static string Snapshot(ulong p, ulong index, ulong term) => string.Create(CultureInfo.InvariantCulture, $"I {p} snapshot {index} {term}");

    /// <summary>"A {p}": the partition's latest intent is durable.</summary>
    public static string Ack(ulong p) => string.Create(CultureInfo.InvariantCulture, $"A {p}");

    public static ConfState SnapshotConf { get; } = ConfState.OfVoters(1, 2, 3);

    private static ulong Mix(ulong p, ulong i, ulong t)
    {
        var x = p * 0x9E3779B97F4A7C15UL ^ i * 0xBF58476D1CE4E5B9UL ^ t * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        x *= 0xD6E8FEB86659FD93UL;
        return x ^ (x >> 32);
    }
}
