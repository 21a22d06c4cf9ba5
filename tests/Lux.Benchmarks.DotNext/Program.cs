using System.Globalization;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Lux.Benchmarks.DotNext;

// One node of the DotNext baseline of the e2e benchmark. The benchmark starts three, each with its own data directory,
// and stops them by closing standard input (which also happens when the benchmark dies).
//   --index I --raft-ports P0,P1,P2 --client-ports C0,C1,C2 --data DIR
//   [--memory private|shared] [--chunk-bytes N (default 16 MiB)] [--snapshot-every N (default 100000)]
static string Option(string[] args, string name, string? fallback = null)
{
    var i = Array.IndexOf(args, "--" + name);
    if (i >= 0 && i + 1 < args.Length) return args[i + 1];
    return fallback ?? throw new ArgumentException($"--{name} is required");
}

int index;
IPEndPoint[] raftEndPoints;
int[] clientPorts;
string data;
WriteAheadLog.MemoryManagementStrategy memory;
int chunkBytes;
long snapshotEvery;
try
{
    index = int.Parse(Option(args, "index"), CultureInfo.InvariantCulture);
    raftEndPoints = Option(args, "raft-ports").Split(',').Select(p => new IPEndPoint(IPAddress.Loopback, int.Parse(p, CultureInfo.InvariantCulture))).ToArray();
    clientPorts = Option(args, "client-ports").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    data = Option(args, "data");
    memory = Option(args, "memory", "private") switch
    {
        "shared" => WriteAheadLog.MemoryManagementStrategy.SharedMemory,
        "private" => WriteAheadLog.MemoryManagementStrategy.PrivateMemory,
        var other => throw new ArgumentException($"--memory is shared or private, not {other}"),
    };
    chunkBytes = int.Parse(Option(args, "chunk-bytes", (16 << 20).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    snapshotEvery = long.Parse(Option(args, "snapshot-every", "100000"), CultureInfo.InvariantCulture);
    if (raftEndPoints.Length != clientPorts.Length || index < 0 || index >= raftEndPoints.Length)
        throw new ArgumentException("--index must name one of the nodes, and --raft-ports and --client-ports must list the same nodes");
    if (chunkBytes <= 0 || snapshotEvery <= 0) throw new ArgumentException("--chunk-bytes and --snapshot-every must be positive");
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"Lux.Benchmarks.DotNext: {e.Message}");
    return 2;
}

var stateMachine = new KeyValueStateMachine(new DirectoryInfo(Path.Combine(data, "state")), snapshotEvery);
await stateMachine.RestoreAsync();

// DotNext 6.12 makes every commit durable whatever the options say (FlushOnCommit is obsolete and always true): before
// CommitAsync returns, the entries up to the commit index are flushed, msync(MS_SYNC) of the mapped chunk files with
// SharedMemory, O_SYNC writes with PrivateMemory, and then the checkpoint file is written.
var wal = new WriteAheadLog(new WriteAheadLog.Options
{
    Location = Path.Combine(data, "wal"),
    MemoryManagement = memory,
    ChunkSize = chunkBytes,
}, stateMachine);

var configuration = new RaftCluster.TcpConfiguration(raftEndPoints[index])
{
    ConfigurationStorage = null!, // null asks DotNext for its in-memory storage, filled with the fixed membership below
    ColdStart = false,
    // etcd's defaults: 100 ms heartbeats, elections after 1 s of silence.
    LowerElectionTimeout = 1000,
    UpperElectionTimeout = 2000,
    HeartbeatThreshold = 0.1,
    RequestTimeout = TimeSpan.FromSeconds(10),
};
var members = ((InMemoryClusterConfigurationStorage<EndPoint>)configuration.ConfigurationStorage).CreateInitialConfigurationBuilder();
foreach (var endPoint in raftEndPoints) members.Add(endPoint);
members.Build();

await using var cluster = new RaftCluster(configuration) { AuditTrail = wal };
await cluster.StartAsync();

int LeaderClientPort()
{
    if (cluster.Leader?.EndPoint is not IPEndPoint leader) return 0;
    var i = Array.IndexOf(raftEndPoints, leader);
    return i < 0 ? 0 : clientPorts[i];
}

var server = new ClientServer(new IPEndPoint(IPAddress.Loopback, clientPorts[index]), cluster, LeaderClientPort);
server.Start();
Console.WriteLine("ready");

while (await Console.In.ReadLineAsync() is { } line && line != "stop")
{
}

await server.DisposeAsync();
await cluster.StopAsync();
await wal.DisposeAsync();
await stateMachine.DisposeAsync();
Console.Error.WriteLine($"node {index} stopped after applying {stateMachine.AppliedPuts} puts");
return 0;
