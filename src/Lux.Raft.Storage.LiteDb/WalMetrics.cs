using System.Diagnostics.Metrics;

namespace Lux.Raft.Storage.LiteDb;

/// <summary>The <c>lux.wal.*</c> instruments of one write-ahead log.</summary>
internal sealed class WalMetrics : IDisposable
{
    public const string MeterName = "Lux.Raft.Storage.LiteDb";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public WalMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Syncs = _meter.CreateCounter<long>("lux.wal.syncs", "{sync}", "Real fsync calls on the WAL's files.");
        SyncDuration = _meter.CreateHistogram<double>("lux.wal.sync.duration", "ms", "Time one fsync took.");
        LiteDbFlushesCoalesced = _meter.CreateCounter<long>("lux.wal.litedb_flushes.coalesced", "{flush}",
            "Log flushes LiteDB asked for that were not executed (the segment sync of each group commit is what makes a write durable).");
        Commits = _meter.CreateCounter<long>("lux.wal.commits", "{commit}", "Group commits (one LiteDB transaction and one sync each).");
        BatchRequests = _meter.CreateHistogram<long>("lux.wal.batch.requests", "{request}", "Requests sharing one group commit.");
        BatchEntries = _meter.CreateHistogram<long>("lux.wal.batch.entries", "{entry}", "Entries made durable by one group commit.");
        BatchBytes = _meter.CreateHistogram<long>("lux.wal.batch.bytes", "By", "Entry bytes made durable by one group commit.");
        CommitDuration = _meter.CreateHistogram<double>("lux.wal.commit.duration", "ms", "From the start of a group commit to its durability.");
        EntriesAppended = _meter.CreateCounter<long>("lux.wal.entries", "{entry}", "Entries made durable.");
        BytesAppended = _meter.CreateCounter<long>("lux.wal.bytes", "By", "Entry payload bytes made durable.");
        PagesWritten = _meter.CreateCounter<long>("lux.wal.pages", "{page}", "8 KiB pages LiteDB wrote to its log.");
        Checkpoints = _meter.CreateCounter<long>("lux.wal.checkpoints", "{checkpoint}", "Copies of the log into the data file.");
        Corruptions = _meter.CreateCounter<long>("lux.wal.corruptions", "{event}", "Damaged tails cut back and damaged records found.");
    }

    public Counter<long> Syncs { get; }
    public Histogram<double> SyncDuration { get; }
    public Counter<long> LiteDbFlushesCoalesced { get; }
    public Counter<long> Commits { get; }
    public Histogram<long> BatchRequests { get; }
    public Histogram<long> BatchEntries { get; }
    public Histogram<long> BatchBytes { get; }
    public Histogram<double> CommitDuration { get; }
    public Counter<long> EntriesAppended { get; }
    public Counter<long> BytesAppended { get; }
    public Counter<long> PagesWritten { get; }
    public Counter<long> Checkpoints { get; }
    public Counter<long> Corruptions { get; }

    public void RecordSync(TimeSpan duration)
    {
        Syncs.Add(1);
        SyncDuration.Record(duration.TotalMilliseconds);
    }

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
