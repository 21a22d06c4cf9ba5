namespace Lux.Orleans.Builtins.Log;

/// <summary>Appends <see cref="Record"/> at the end of the log; the result carries the offset it was given.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.Log.Append")]
public sealed record LogAppend
{
    /// <summary>The record's bytes (at most <see cref="AppendOnlyLogStateMachine.MaxRecordBytes"/>).</summary>
    [Id(0)] public required byte[] Record { get; init; }
}

/// <summary>Reads up to <see cref="MaxCount"/> records from <see cref="Offset"/> on (0 records: just the log's length).</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.Log.Read")]
public sealed record LogRead
{
    /// <summary>The offset of the first record to read (0 is the first record ever appended).</summary>
    [Id(0)] public long Offset { get; init; }

    /// <summary>How many records to return at most.</summary>
    [Id(1)] public int MaxCount { get; init; } = 1;
}

/// <summary>What an append or a read returns.</summary>
[GenerateSerializer]
[Immutable]
[Alias("Lux.Builtins.Log.Result")]
public sealed record LogResult
{
    /// <summary>For an append, the offset of the appended record; for a read, the offset of the first returned record.</summary>
    [Id(0)] public long Offset { get; init; }

    /// <summary>The records read (empty for an append, or a read at or past the end).</summary>
    [Id(1)] public IReadOnlyList<byte[]> Records { get; init; } = [];

    /// <summary>The number of records in the log, as of this result: the next append gets this offset.</summary>
    [Id(2)] public long Length { get; init; }
}
