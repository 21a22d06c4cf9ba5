namespace Lux.Orleans.Server.Configuration;

/// <summary>The server's configuration is not usable; <see cref="Problems"/> lists every reason found.</summary>
public sealed class ServerConfigurationException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public ServerConfigurationException(IReadOnlyList<string> problems)
        : base("The server configuration is not valid: " + string.Join(" ", problems) +
               " Settings come from appsettings.json, LUX_ environment variables (LUX_Server__Name, LUX_Lux__DataDirectory) and the command line (--name, --data, ...); see docs/operations.md.") =>
        Problems = problems;

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
