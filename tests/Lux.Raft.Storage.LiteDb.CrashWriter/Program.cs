using Lux.Raft;
using Lux.Raft.Storage;
using Lux.Raft.Storage.LiteDb;
using Lux.Raft.Storage.LiteDb.CrashWriter;

// Appends to several partitions of a WAL as fast as it can until it is killed, printing an intent before every write
// and an acknowledgement after it completes. Usage: CrashWriter <data-dir> <seed> <partitions>
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: CrashWriter <data-dir> <seed> <partitions>");
    return 2;
}
var dir = args[0];
var seed = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var partitions = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var output = Console.Out;
var outputGate = new object();
void Print(string line)
{
    lock (outputGate) output.WriteLine(line);
}

await using var wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = dir, CheckpointBytes = 1024 * 1024, SegmentBytes = 64 * 1024 });
var stores = new List<LiteDbRaftLogStore>();
for (var p = 1; p <= partitions; p++) stores.Add(await wal.OpenPartitionAsync((ulong)p));
Print(CrashProtocol.Ready);

await Task.WhenAll(stores.Select(store => Task.Run(async () =>
{
    var p = store.PartitionId;
    var random = new Random(HashCode.Combine(seed, p));
    var hs = store.InitialState().HardState;
    store.TryGetTerm(store.LastIndex, out var lastTerm);
    var term = Math.Max(Math.Max(hs.Term, lastTerm), 1);
    while (true)
    {
        var roll = random.Next(100);
        var last = store.LastIndex;
        var first = store.FirstIndex;
        if (roll < 5 && last >= first + 5)
        {
            var index = first + (ulong)random.Next((int)Math.Min(50, last - first - 4));
            Print(CrashProtocol.Compact(p, index));
            await store.CompactAsync(index);
        }
        else if (roll < 9 && last >= first)
        {
            var index = first + (ulong)random.Next((int)Math.Min(50, last - first + 1));
            store.TryGetTerm(index, out var t);
            Print(CrashProtocol.Snapshot(p, index, t));
            await store.ApplySnapshotAsync(new SnapshotMetadata(index, t, CrashProtocol.SnapshotConf));
        }
        else if (roll < 11)
        {
            term++;
            var index = last + 1 + (ulong)random.Next(5);
            Print(CrashProtocol.Snapshot(p, index, term));
            await store.ApplySnapshotAsync(new SnapshotMetadata(index, term, CrashProtocol.SnapshotConf));
        }
        else
        {
            var from = last + 1;
            if (roll < 20 && last >= first)
            {
                // Replace a suffix with entries of a newer term, as a new leader would.
                term++;
                from = last - (ulong)random.Next((int)Math.Min(10, last - first + 1));
            }
            var count = 1 + random.Next(random.Next(2) == 0 ? 3 : 40);
            var entries = CrashProtocol.MakeEntries(p, from, count, term);
            var commit = Math.Min(store.InitialState().HardState.Commit + (ulong)random.Next(3), from - 1);
            commit = Math.Max(commit, store.InitialState().HardState.Commit);
            var state = new HardState(term, 1, commit);
            Print(CrashProtocol.Save(p, state, from, count, term, CrashProtocol.Hash(entries[^1].Data.Span)));
            await store.SaveAsync(state, entries);
        }
        Print(CrashProtocol.Ack(p));
    }
})));
return 0;
