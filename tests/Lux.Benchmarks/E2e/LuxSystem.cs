using System.Runtime.InteropServices;
using System.Text;
using Lux.Orleans;
using Lux.Orleans.Builtins.KeyValue;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// Lux.Orleans as an e2e system (<c>lux-tcp</c>, <c>lux-http</c>): a <see cref="LuxCluster"/> of silo processes with
/// the peer channel over <paramref name="protocol"/>, one key-value partition with 3 replicas created through the
/// catalog, and puts proposed through <see cref="IRaftPartitionGrain.ProposeAsync"/> from the benchmark's Orleans client.
/// </summary>
internal sealed class LuxSystem(string protocol) : IE2eSystem
{
    private const string PartitionId = "bench";
    private LuxCluster? cluster;

    public string Name => "lux-" + protocol;

    public string Durability =>
        "Lux WAL (LiteDB, one per silo, group commit, fsync on = the server default): a follower syncs appended entries before it acknowledges; " +
        "the leader writes its own log in parallel with replicating (thesis 10.2.1); committed on a majority, answered once applied on the leader";

    public string Client =>
        $"Orleans client in the benchmark process (gateways of all 3 silos), IRaftPartitionGrain.ProposeAsync(KeyValuePut) routed to the leader's replica; peer channel {protocol.ToUpperInvariant()}";

    public string? MissingPrerequisite() => LuxCluster.MissingPrerequisite();

    public async Task StartAsync(int nodeCount, string dataDirectory, CancellationToken cancellationToken)
    {
        if (cluster is not null) throw new InvalidOperationException("the Lux cluster is already running");
        cluster = await LuxCluster.StartAsync(protocol, nodeCount, dataDirectory, cancellationToken);
        await cluster.CreatePartitionAsync(PartitionId, cancellationToken, replicationFactor: Math.Min(3, nodeCount));
    }

    public Task<IE2eClient> ConnectAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IE2eClient>(new PartitionClient(cluster?.Client.GetRaftPartition(PartitionId) ?? throw new InvalidOperationException("the Lux cluster is not running")));

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (cluster is null) return;
        await cluster.DisposeAsync();
        cluster = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    /// <summary>Puts through one partition; the key-value state machine holds strings, so bytes become ASCII letters of the same length.</summary>
    internal sealed class PartitionClient(IRaftPartitionGrain partition) : IE2eClient
    {
        private readonly ValueCache values = new();

        public async ValueTask ProposeAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
            await partition.ProposeAsync(new KeyValuePut { Key = Encoding.UTF8.GetString(key.Span), Value = values.Get(value) }, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>The load driver sends one value array over and over: convert it once (safe to share between workers).</summary>
    internal sealed class ValueCache
    {
        private Converted? last;

        public string Get(ReadOnlyMemory<byte> value)
        {
            if (!MemoryMarshal.TryGetArray(value, out var segment) || segment.Offset != 0 || segment.Array is null) return LuxCluster.AsciiValue(value.Span);
            var cached = Volatile.Read(ref last);
            if (cached is not null && ReferenceEquals(cached.Source, segment.Array) && cached.Value.Length == segment.Count) return cached.Value;
            var converted = new Converted(segment.Array, LuxCluster.AsciiValue(value.Span));
            Volatile.Write(ref last, converted);
            return converted.Value;
        }

        private sealed record Converted(byte[] Source, string Value);
    }
}
