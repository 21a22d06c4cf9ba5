using System.Diagnostics.Metrics;
using Lux.Raft.Transport.Http;
using Lux.Raft.Transport.Tcp;
using Microsoft.Extensions.Logging;

namespace Lux.Raft.Transport;

/// <summary>Builds the transport a configuration asks for.</summary>
public static class PeerTransport
{
    /// <summary>Creates a <see cref="TcpTransport"/> or <see cref="HttpTransport"/> according to <see cref="PeerChannelOptions.Protocol"/>.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static PeerChannelTransport Create(PeerChannelOptions options, IPeerDirectory directory, IRaftMessageHandler handler,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Protocol switch
        {
            TransportProtocol.Tcp => new TcpTransport(options, directory, handler, loggerFactory, meterFactory),
            TransportProtocol.Http => new HttpTransport(options, directory, handler, loggerFactory, meterFactory),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "unknown protocol"),
        };
    }
}
