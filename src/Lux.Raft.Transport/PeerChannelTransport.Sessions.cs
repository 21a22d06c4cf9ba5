using Lux.Raft.Transport.Sessions;

namespace Lux.Raft.Transport;

public abstract partial class PeerChannelTransport
{
    /// <summary>The incoming sessions alive now.</summary>
    private protected IEnumerable<InboundSession> Sessions => _sessions.Keys;
}
