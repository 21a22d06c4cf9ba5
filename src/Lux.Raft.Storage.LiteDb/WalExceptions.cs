namespace Lux.Raft.Storage.LiteDb;

/// <summary>Stored log data failed its checks (checksum, sequence or structure) and is not served.</summary>
public sealed class WalCorruptionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WalCorruptionException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public WalCorruptionException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// The write-ahead log stopped accepting writes after a failure it cannot recover from in place (an I/O error, a
/// failed sync): whether the failed batch reached the disk is unknown, so the silo must restart and recover from disk.
/// </summary>
public sealed class WriteAheadLogFailedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WriteAheadLogFailedException(string message, Exception? innerException) : base(message, innerException) { }
}
