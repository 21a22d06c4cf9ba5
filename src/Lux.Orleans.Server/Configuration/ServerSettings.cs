using System.Net;
using Lux.Orleans.Hosting;
using Microsoft.Extensions.Configuration;

namespace Lux.Orleans.Server.Configuration;

/// <summary>A validated server configuration: the silo's identity and Orleans settings, and the Lux options.</summary>
public sealed class ServerSettings
{
    internal ServerSettings(ServerOptions server, LuxRaftOptions lux, IPEndPoint? primarySilo, IConfiguration configuration)
    {
        Server = server;
        Lux = lux;
        PrimarySilo = primarySilo;
        Configuration = configuration;
    }

    /// <summary>The silo's identity and Orleans settings.</summary>
    public ServerOptions Server { get; }

    /// <summary>The Lux options as bound and validated (the silo binds the same section; the data directory is made absolute).</summary>
    public LuxRaftOptions Lux { get; }

    /// <summary>The primary silo's endpoint for localhost clustering, or null when this silo is the primary.</summary>
    public IPEndPoint? PrimarySilo { get; }

    /// <summary>Whether this silo holds the membership table (localhost clustering).</summary>
    public bool IsPrimary => PrimarySilo is null;

    /// <summary>The whole configuration the settings came from (logging levels, further sections).</summary>
    public IConfiguration Configuration { get; }
}
