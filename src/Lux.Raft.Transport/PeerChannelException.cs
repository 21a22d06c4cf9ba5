namespace Lux.Raft.Transport;

/// <summary>A send that could not be completed: the peer is unknown, unreachable, or refused it.</summary>
public sealed class PeerChannelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerChannelException(string message) : base(message) { }

    /// <summary>Creates the exception with the error that caused it.</summary>
    public PeerChannelException(string message, Exception inner) : base(message, inner) { }
}
