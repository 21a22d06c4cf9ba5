using System.Runtime.CompilerServices;
using Lux.Orleans;
using Lux.Orleans.Builtins.Log;

namespace Lux.Samples.DistributedLog;

/// <summary>
/// An append-only replicated log over one Lux partition running the <c>log</c> state machine
/// (<see cref="AppendOnlyLogStateMachine"/>). Offsets start at 0 and have no gaps; a record whose append was
/// acknowledged stays readable at its offset. Usable from any Orleans client or grain.
/// </summary>
public sealed class DistributedLogClient
{
    private readonly IRaftPartitionGrain _partition;

    /// <summary>The log stored in partition <paramref name="logId"/> (which must exist and run the log state machine).</summary>
    public DistributedLogClient(IGrainFactory grains, string logId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(logId);
        LogId = logId;
        _partition = grains.GetRaftPartition(logId);
    }

    /// <summary>The id of the partition holding the log.</summary>
    public string LogId { get; }

    /// <summary>
    /// Creates the log's partition (idempotent) with <paramref name="replicationFactor"/> replicas running the state
    /// machine registered as <paramref name="stateMachine"/>, and returns a client for it.
    /// </summary>
    public static async Task<DistributedLogClient> CreateAsync(IGrainFactory grains, string logId, int replicationFactor = 3,
        string stateMachine = AppendOnlyLogStateMachine.DefaultName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        await grains.GetRaftCatalog().CreatePartitionAsync(logId, stateMachine, replicationFactor, cancellationToken).ConfigureAwait(false);
        return new DistributedLogClient(grains, logId);
    }

    /// <summary>
    /// Appends <paramref name="record"/> and returns its offset once a majority of replicas has it on disk. Each call is
    /// applied once even if the partition retries it internally; if the call itself fails, the record may or may not
    /// have been appended.
    /// </summary>
    /// <exception cref="ArgumentException">The record is larger than <see cref="AppendOnlyLogStateMachine.MaxRecordBytes"/>.</exception>
    public async Task<long> AppendAsync(byte[] record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        // Refused here rather than by the state machine, which would refuse it only after replicating it.
        if (record.Length > AppendOnlyLogStateMachine.MaxRecordBytes)
            throw new ArgumentException($"The record has {record.Length} bytes; the log takes at most {AppendOnlyLogStateMachine.MaxRecordBytes}.", nameof(record));
        var result = await _partition.ProposeAsync<LogResult>(new LogAppend { Record = record }, cancellationToken).ConfigureAwait(false);
        return result.Offset;
    }

    /// <summary>The record at <paramref name="offset"/>, or null if nothing was appended there yet.</summary>
    public async Task<byte[]?> ReadAsync(long offset, ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var result = await _partition.ReadAsync<LogResult>(new LogRead { Offset = offset, MaxCount = 1 }, consistency, cancellationToken).ConfigureAwait(false);
        return result.Records.Count == 1 ? result.Records[0] : null;
    }

    /// <summary>Up to <paramref name="maxCount"/> records from <paramref name="offset"/> on (at most <see cref="AppendOnlyLogStateMachine.MaxReadCount"/> per call).</summary>
    public async Task<IReadOnlyList<byte[]>> ReadRangeAsync(long offset, int maxCount, ReadConsistency consistency = ReadConsistency.Linearizable,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCount);
        var result = await _partition.ReadAsync<LogResult>(new LogRead { Offset = offset, MaxCount = maxCount }, consistency, cancellationToken).ConfigureAwait(false);
        return result.Records;
    }

    /// <summary>The number of records: the offset the next append will get.</summary>
    public async Task<long> LengthAsync(ReadConsistency consistency = ReadConsistency.Linearizable, CancellationToken cancellationToken = default)
    {
        var result = await _partition.ReadAsync<LogResult>(new LogRead { MaxCount = 0 }, consistency, cancellationToken).ConfigureAwait(false);
        return result.Length;
    }

    /// <summary>Every record from <paramref name="from"/> to the end as of each page read, in offset order.</summary>
    public async IAsyncEnumerable<(long Offset, byte[] Record)> ReadAllAsync(long from = 0, ReadConsistency consistency = ReadConsistency.Linearizable,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var offset = from;
        while (true)
        {
            var page = await ReadRangeAsync(offset, AppendOnlyLogStateMachine.MaxReadCount, consistency, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0) yield break;
            foreach (var record in page) yield return (offset++, record);
        }
    }
}
