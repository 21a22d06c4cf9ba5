using Lux.Orleans.StateMachines;
using Lux.Raft.StateMachine;

namespace Lux.Orleans.Builtins.Log;

/// <summary>
/// A replicated append-only log: every appended record gets the next offset (0, 1, 2, ...), and a record once
/// acknowledged is readable at its offset forever. Snapshots stream the records one by one.
/// </summary>
public sealed class AppendOnlyLogStateMachine : IRaftStateMachine<LogAppend, LogRead, LogResult>
{
    /// <summary>The name the server registers this state machine under.</summary>
    public const string DefaultName = "log";

    /// <summary>The largest record accepted; larger ones are refused so one append cannot bloat every replica.</summary>
    public const int MaxRecordBytes = 1 << 20;

    /// <summary>The most records one read returns.</summary>
    public const int MaxReadCount = 1024;

    private const int SnapshotFormat = 1;

    private readonly List<byte[]> _records = [];

    /// <summary>The number of records.</summary>
    public long Length => _records.Count;

    /// <inheritdoc />
    public LogResult Apply(ulong index, LogAppend command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var record = command.Record ?? throw new CommandRejectedException("the record must not be null");
        if (record.Length > MaxRecordBytes) throw new CommandRejectedException($"the record has {record.Length} bytes, more than {MaxRecordBytes}");
        _records.Add(record);
        return new LogResult { Offset = _records.Count - 1, Length = _records.Count };
    }

    /// <inheritdoc />
    public LogResult Query(LogRead query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var offset = Math.Max(0, query.Offset);
        var available = Math.Max(0, _records.Count - offset);
        var count = (int)Math.Min(available, Math.Clamp(query.MaxCount, 0, MaxReadCount));
        return new LogResult { Offset = offset, Records = count == 0 ? [] : _records.GetRange((int)offset, count).ToArray(), Length = _records.Count };
    }

    /// <inheritdoc />
    public async ValueTask WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var header = new byte[8];
        BitConverter.TryWriteBytes(header.AsSpan(0, 4), SnapshotFormat);
        BitConverter.TryWriteBytes(header.AsSpan(4, 4), _records.Count);
        await destination.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        var length = new byte[4];
        foreach (var record in _records)
        {
            BitConverter.TryWriteBytes(length, record.Length);
            await destination.WriteAsync(length, cancellationToken).ConfigureAwait(false);
            await destination.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask ReadSnapshotAsync(Stream source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var header = new byte[8];
        await source.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var format = BitConverter.ToInt32(header, 0);
        if (format != SnapshotFormat) throw new InvalidDataException($"log snapshot format {format} is not {SnapshotFormat}");
        var count = BitConverter.ToInt32(header, 4);
        if (count < 0) throw new InvalidDataException($"log snapshot claims {count} records");
        _records.Clear();
        var length = new byte[4];
        for (var i = 0; i < count; i++)
        {
            await source.ReadExactlyAsync(length, cancellationToken).ConfigureAwait(false);
            var size = BitConverter.ToInt32(length);
            if (size is < 0 or > MaxRecordBytes) throw new InvalidDataException($"log snapshot record {i} claims {size} bytes");
            var record = new byte[size];
            await source.ReadExactlyAsync(record, cancellationToken).ConfigureAwait(false);
            _records.Add(record);
        }
    }
}
