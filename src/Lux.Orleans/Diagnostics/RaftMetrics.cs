using System.Diagnostics.Metrics;

namespace Lux.Orleans.Diagnostics;

/// <summary>
/// Instruments of the replica host, meter <c>Lux.Orleans</c>. WAL sync time and peer-channel bytes come from the WAL's
/// (<c>lux.wal.*</c>) and transport's (<c>lux.transport.*</c>) own meters, created with the same meter factory.
/// </summary>
internal sealed class RaftMetrics : IDisposable
{
    public const string MeterName = "Lux.Orleans";
    private readonly Meter _meter;

    public RaftMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Proposals = _meter.CreateCounter<long>("lux.raft.proposals", "{proposal}", "Commands appended by a leader of this silo.");
        ProposalsRejected = _meter.CreateCounter<long>("lux.raft.proposals.rejected", "{proposal}", "Proposals a replica of this silo refused (not leader, back-pressure, transfer).");
        CommitLatency = _meter.CreateHistogram<double>("lux.raft.commit.duration", "ms", "From a leader accepting a proposal to applying it.");
        Elections = _meter.CreateCounter<long>("lux.raft.elections", "{election}", "Campaigns started by replicas of this silo (pre-vote included).");
        LeaderChanges = _meter.CreateCounter<long>("lux.raft.leader_changes", "{change}", "Leader changes seen by replicas of this silo.");
        Reads = _meter.CreateCounter<long>("lux.raft.reads", "{read}", "Reads served by replicas of this silo.");
        Snapshots = _meter.CreateCounter<long>("lux.raft.snapshots", "{snapshot}", "Snapshots taken or installed.");
        Replicas = _meter.CreateUpDownCounter<long>("lux.raft.replicas", "{replica}", "Replicas hosted by this silo.");
        Quiesced = _meter.CreateUpDownCounter<long>("lux.raft.replicas.quiesced", "{replica}", "Replicas of this silo that are quiesced (not ticking).");
    }

    public Counter<long> Proposals { get; }
    public Counter<long> ProposalsRejected { get; }
    public Histogram<double> CommitLatency { get; }
    public Counter<long> Elections { get; }
    public Counter<long> LeaderChanges { get; }
    public Counter<long> Reads { get; }
    public Counter<long> Snapshots { get; }
    public UpDownCounter<long> Replicas { get; }
    public UpDownCounter<long> Quiesced { get; }

    public void Dispose() => _meter.Dispose();
}
