namespace Lux.Raft.Transport.Codec;

/// <summary>
/// Input that breaks the wire format: a bad checksum, an unknown frame type, an oversized length, a malformed body.
/// The connection that carried it is closed; the process carries on.
/// </summary>
public sealed class ProtocolViolationException : Exception
{
    /// <summary>Creates the exception with a reason a log line can quote.</summary>
    public ProtocolViolationException(string message) : base(message) { }

    /// <summary>Creates the exception with a reason and the error that revealed it.</summary>
    public ProtocolViolationException(string message, Exception inner) : base(message, inner) { }
}
