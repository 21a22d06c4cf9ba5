using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// The DotNext baseline: <c>nodeCount</c> processes of <c>tests/Lux.Benchmarks.DotNext</c> (DotNext.Net.Cluster 6.12
/// Raft over TCP, WriteAheadLog, an in-memory key/value state machine), on 127.0.0.1. Options:
/// <c>--dotnext-memory shared|private</c> (the WAL's memory management; default private) and
/// <c>--dotnext-chunk-bytes N</c> (WAL chunk file size; default 16 MiB). The defaults are the fastest settings measured
/// here (with shared memory and 1 MiB chunks, 1 KiB writes at concurrency 256 ran at a quarter of the rate).
/// </summary>
internal sealed class DotNextSystem(string[] args) : IE2eSystem
{
    private const string NodeAssembly = "Lux.Benchmarks.DotNext.dll";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string memory = BenchOutput.Option(args, "dotnext-memory") ?? "private";
    private readonly int chunkBytes = int.Parse(BenchOutput.Option(args, "dotnext-chunk-bytes") ?? (16 << 20).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    private readonly List<ChildProcess> nodes = [];
    private int[] clientPorts = [];

    public string Name => "dotnext";

    public string Durability => memory == "private"
        ? $"DotNext 6.12 WriteAheadLog, PrivateMemory, {chunkBytes >> 10} KiB chunks: a commit waits until the log up to the commit index is written with O_SYNC and the checkpoint saved (O_SYNC), on the leader; a follower acknowledges an append from memory, before its own flush (flushed before it applies)"
        : $"DotNext 6.12 WriteAheadLog, SharedMemory, {chunkBytes >> 10} KiB chunks: a commit waits until the log up to the commit index is msync(MS_SYNC)ed and the checkpoint saved (O_SYNC), on the leader; a follower acknowledges an append once it is in its mapped file (page cache), before its own flush (flushed before it applies)";

    public string Client => "benchmark's own length-prefixed protocol over 1 TCP connection to the leader's node process, which calls RaftCluster.ReplicateAsync (returns when committed and applied on the leader)";

    private static string NodePath => Path.Combine(AppContext.BaseDirectory, NodeAssembly);

    public string? MissingPrerequisite() =>
        File.Exists(NodePath) ? null : $"{NodeAssembly} not found next to the benchmark ({AppContext.BaseDirectory}); build tests/Lux.Benchmarks";

    public async Task StartAsync(int nodeCount, string dataDirectory, CancellationToken cancellationToken)
    {
        if (nodes.Count > 0) throw new InvalidOperationException("the DotNext cluster is already running");
        var ports = LoopbackPorts.Allocate(2 * nodeCount);
        var raftPorts = string.Join(',', ports.Take(nodeCount));
        clientPorts = ports.Skip(nodeCount).ToArray();
        var ready = new List<Task>();
        for (var i = 0; i < nodeCount; i++)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var node = ChildProcess.Start($"dotnext-{i}", DotnetHost.Path,
            [
                NodePath, "--index", i.ToString(CultureInfo.InvariantCulture), "--raft-ports", raftPorts,
                "--client-ports", string.Join(',', clientPorts), "--data", Path.Combine(dataDirectory, $"node-{i}"),
                "--memory", memory, "--chunk-bytes", chunkBytes.ToString(CultureInfo.InvariantCulture),
            ], line =>
            {
                if (line == "ready") signal.TrySetResult();
            });
            nodes.Add(node);
            ready.Add(FailOnExit(node, signal.Task));
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await Task.WhenAll(ready).WaitAsync(timeout.Token);
            await FindLeaderAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the DotNext cluster had no leader after {StartTimeout.TotalSeconds} s; last output: {string.Join(" | ", nodes.Select(n => n.RecentOutput))}");
        }
    }

    private static async Task FailOnExit(ChildProcess node, Task ready)
    {
        if (await Task.WhenAny(ready, node.Exited) != ready)
            throw new InvalidOperationException($"{node.Name} exited before it was ready: {node.RecentOutput}");
    }

    /// <summary>Asks every node who leads until one names a leader that agrees it is the leader; returns its client port.</summary>
    private async Task<int> FindLeaderAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var port in clientPorts)
            {
                var named = await DotNextClient.AskLeaderAsync(port, cancellationToken);
                if (named != 0 && await DotNextClient.AskLeaderAsync(named, cancellationToken) == named) return named;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    public async Task<IE2eClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var leader = await FindLeaderAsync(cancellationToken);
        return await DotNextClient.ConnectAsync(leader, FindLeaderAsync, cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        nodes.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);
}

/// <summary>The <c>dotnet</c> host that runs the benchmark, to start framework-dependent node assemblies with.</summary>
internal static class DotnetHost
{
    public static string Path { get; } = Resolve();

    private static string Resolve()
    {
        var current = Environment.ProcessPath;
        if (current is not null && System.IO.Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var candidate = root is null ? null : System.IO.Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }
}
