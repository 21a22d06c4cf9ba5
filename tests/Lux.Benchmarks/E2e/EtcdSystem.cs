using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Lux.Benchmarks.E2e.Etcd;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// The etcd baseline: <c>nodeCount</c> members of the <c>etcd</c> binary on PATH (Debian's <c>etcd-server</c>) on
/// 127.0.0.1, each with its own data directory, with etcd's default durability (WAL fdatasync on every Ready that carries
/// entries; <c>--unsafe-no-fsync</c> is never passed). The client speaks etcd's gRPC API.
/// Option: <c>--etcd-binary PATH</c>.
/// </summary>
internal sealed class EtcdSystem(string[] args) : IE2eSystem
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string? binary = BenchOutput.Option(args, "etcd-binary") ?? FindOnPath("etcd");
    private readonly List<ChildProcess> members = [];
    private int[] clientPorts = [];
    private string? version;

    public string Name => "etcd";

    public string Durability =>
        $"{version ?? "etcd"} defaults: a follower fdatasyncs its WAL before acknowledging an append; the leader fdatasyncs its own WAL in parallel with replicating (Raft thesis 10.2.1) and counts itself toward the majority; bbolt backend committed in batches (100 ms / 10k); --snapshot-count 100000";

    public string Client => "etcd gRPC KV.Put (Grpc.Net.Client, hand-written etcdserverpb subset, protoc-generated stub) over one HTTP/2 connection to the leader; etcd answers once the Put is committed and applied on that member";

    public string? MissingPrerequisite()
    {
        if (binary is null) return "etcd binary not found on PATH (Debian: apt-get install etcd-server)";
        if (!File.Exists(binary)) return $"etcd binary {binary} not found";
        version ??= ReadVersion(binary);
        return null;
    }

    public async Task StartAsync(int nodeCount, string dataDirectory, CancellationToken cancellationToken)
    {
        if (members.Count > 0) throw new InvalidOperationException("the etcd cluster is already running");
        if (MissingPrerequisite() is { } missing) throw new InvalidOperationException(missing);
        var ports = LoopbackPorts.Allocate(2 * nodeCount);
        clientPorts = ports.Take(nodeCount).ToArray();
        var peerUrls = ports.Skip(nodeCount).Select(p => $"http://127.0.0.1:{p}").ToArray();
        var initialCluster = string.Join(',', peerUrls.Select((url, i) => $"m{i}={url}"));
        var token = $"lux-e2e-{Guid.NewGuid():N}";
        for (var i = 0; i < nodeCount; i++)
        {
            var clientUrl = $"http://127.0.0.1:{clientPorts[i]}";
            members.Add(ChildProcess.Start($"etcd-m{i}", binary!,
            [
                "--name", $"m{i}", "--data-dir", Path.Combine(dataDirectory, $"m{i}"),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrls[i], "--initial-advertise-peer-urls", peerUrls[i],
                "--initial-cluster", initialCluster, "--initial-cluster-token", token, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-level", "warn",
            ], removeEnvironmentPrefixes: ["ETCD_"])); // an ETCD_* variable in the caller's environment would override a flag
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await FindLeaderAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the etcd cluster had no leader after {StartTimeout.TotalSeconds} s; last output: {string.Join(" | ", members.Select(m => m.RecentOutput))}");
        }
    }

    /// <summary>Polls every member's status until one reports itself as the leader; returns its client port.</summary>
    private async Task<int> FindLeaderAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (members.FirstOrDefault(m => m.Exited.IsCompleted) is { } dead)
                throw new InvalidOperationException($"{dead.Name} exited: {dead.RecentOutput}");
            foreach (var port in clientPorts)
            {
                using var channel = CreateChannel(port);
                try
                {
                    var status = await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(),
                        deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                    if (status.Leader != 0 && status.Leader == status.Header.MemberId) return port;
                }
                catch (RpcException)
                {
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    public async Task<IE2eClient> ConnectAsync(CancellationToken cancellationToken) =>
        new EtcdClient(CreateChannel(await FindLeaderAsync(cancellationToken)));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(members.Select(m => m.DisposeAsync().AsTask()));
        members.Clear();
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private static GrpcChannel CreateChannel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // etcd allows unlimited streams per connection; this only matters if a server were configured lower.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        },
        DisposeHttpClient = true,
    });

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static string ReadVersion(string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var first = process.StandardOutput.ReadLine() ?? "";
            process.WaitForExit(5000);
            // "etcd Version: 3.4.23"
            return first.Replace("Version: ", "", StringComparison.Ordinal).Trim();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "etcd (version unknown)";
        }
    }

    private sealed class EtcdClient(GrpcChannel channel) : IE2eClient
    {
        private readonly KV.KVClient kv = new(channel);

        public async ValueTask ProposeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
        {
            // The benchmark never changes its key and value buffers, so wrapping them instead of copying is safe.
            var request = new PutRequest
            {
                Key = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(key),
                Value = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(value),
            };
            await kv.PutAsync(request, cancellationToken: cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            channel.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
