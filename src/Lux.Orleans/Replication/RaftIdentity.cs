using System.IO.Hashing;
using System.Text;

namespace Lux.Orleans.Replication;

/// <summary>
/// The numeric ids the Raft core, the WAL and the peer channel use, derived from names: a replica's id is the 64-bit
/// hash of its silo's name (so it is the same after a restart, and the same on every silo), and a partition's key is
/// the hash of its id. Names are the identity; the numbers are what the wire and the log carry.
/// </summary>
public static class RaftIdentity
{
    /// <summary>Longest partition id accepted.</summary>
    public const int MaxPartitionIdLength = 200;

    /// <summary>The Raft replica id of the replica hosted by silo <paramref name="siloName"/> (never 0).</summary>
    public static ulong ReplicaIdOf(string siloName) => Hash("silo:" + siloName);

    /// <summary>The key partition <paramref name="partitionId"/> has in the WAL and on the peer channel (never 0).</summary>
    public static ulong PartitionKeyOf(string partitionId) => Hash("partition:" + partitionId);

    /// <summary>The key of the replica grain of <paramref name="partitionId"/> on <paramref name="siloName"/>.</summary>
    public static string ReplicaGrainKey(string partitionId, string siloName) => partitionId + "@" + siloName;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="partitionId"/> is usable.</summary>
    public static void ValidatePartitionId(string partitionId)
    {
        if (string.IsNullOrWhiteSpace(partitionId)) throw new ArgumentException("A partition id must not be empty.", nameof(partitionId));
        if (partitionId.Length > MaxPartitionIdLength) throw new ArgumentException($"A partition id is at most {MaxPartitionIdLength} characters.", nameof(partitionId));
        if (partitionId.Contains('@')) throw new ArgumentException("A partition id must not contain '@' (it separates partition and silo in replica keys).", nameof(partitionId));
    }

    /// <summary>Rendezvous (highest random weight) order of <paramref name="silos"/> for <paramref name="partitionId"/>.</summary>
    public static IReadOnlyList<string> RendezvousOrder(string partitionId, IEnumerable<string> silos) =>
        silos.Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => Hash(partitionId + "|" + s))
            .ThenBy(s => s, StringComparer.Ordinal)
            .ToArray();

    private static ulong Hash(string text)
    {
        var value = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text));
        return value == 0 ? 1 : value;
    }
}
