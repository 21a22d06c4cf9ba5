using System.Globalization;
using System.Net;
using Lux.Orleans.Builtins;
using Lux.Orleans.Hosting;
using Lux.Raft.Transport;
using Microsoft.Extensions.Configuration;

namespace Lux.Orleans.Server.Configuration;

/// <summary>
/// Reads the server's configuration: <c>appsettings.json</c> beside the executable, then the file named by
/// <c>--config</c>, then <c>LUX_</c> environment variables, then the command line (later sources win), and turns it into
/// validated <see cref="ServerSettings"/> or one <see cref="ServerConfigurationException"/> naming every problem.
/// </summary>
public static class ServerConfiguration
{
    /// <summary>The prefix of the environment variables the server reads (<c>LUX_Server__Name</c> sets <c>Server:Name</c>).</summary>
    public const string EnvironmentPrefix = "LUX_";

    /// <summary>Command-line switches and the settings they set; any setting can also be given as <c>--Section:Key=value</c>.</summary>
    public static IReadOnlyDictionary<string, string> Switches { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--name"] = "Server:Name",
        ["--cluster-id"] = "Server:ClusterId",
        ["--service-id"] = "Server:ServiceId",
        ["--silo-port"] = "Server:SiloPort",
        ["--gateway-port"] = "Server:GatewayPort",
        ["--membership"] = "Server:Membership:Provider",
        ["--primary"] = "Server:Membership:PrimarySiloEndpoint",
        ["--state-machines"] = "Server:StateMachines",
        ["--data"] = "Lux:DataDirectory",
        ["--protocol"] = "Lux:Protocol",
        ["--listen"] = "Lux:ListenAddress",
        ["--peer-port"] = "Lux:ListenPort",
    };

    private const string ConfigSwitch = "--config";
    private const string WriteProbeName = ".lux-write-probe";

    /// <summary>
    /// Builds the configuration from its sources. <paramref name="baseDirectory"/> is where <c>appsettings.json</c> is
    /// looked for (default: the executable's directory); <paramref name="environment"/> replaces the process environment
    /// (for tests).
    /// </summary>
    /// <exception cref="ServerConfigurationException">An unknown switch, a switch without a value, or a missing <c>--config</c> file.</exception>
    public static IConfigurationRoot Build(string[] args, string? baseDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var problems = new List<string>();
        var (configFile, rest) = SplitConfigFile(args, problems);
        problems.AddRange(UnknownSwitches(rest));
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(baseDirectory ?? AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            if (File.Exists(configFile)) builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
            else problems.Add($"The configuration file '{configFile}' given with --config does not exist.");
        }
        if (environment is null) builder.AddEnvironmentVariables(EnvironmentPrefix);
        else builder.AddInMemoryCollection(environment
            .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(e => new KeyValuePair<string, string?>(e.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), e.Value)));
        builder.AddCommandLine(rest, Switches.ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase));
        if (problems.Count > 0) throw new ServerConfigurationException(problems);
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ServerConfigurationException([$"The configuration cannot be read: {e.Message}"]);
        }
    }

    /// <summary>Binds and validates the configuration, creating the data directory and checking that it is writable.</summary>
    /// <exception cref="ServerConfigurationException">Every problem found, at once.</exception>
    public static ServerSettings Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var server = BindServer(configuration, problems);
        var lux = BindLux(configuration, problems);
        var primary = CheckServer(server, lux, problems);
        var result = new LuxRaftOptionsValidator().Validate(null, lux);
        if (result.Failed) problems.AddRange(result.Failures);
        // Nothing is created on disk for a configuration that is wrong anyway.
        if (problems.Count == 0) lux.DataDirectory = CheckDataDirectory(lux.DataDirectory, problems);
        if (problems.Count > 0) throw new ServerConfigurationException(problems);
        return new ServerSettings(server, lux, primary, configuration);
    }

    /// <summary>Builds and loads in one step.</summary>
    /// <exception cref="ServerConfigurationException">Every problem found.</exception>
    public static ServerSettings Load(string[] args, string? baseDirectory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        Load(Build(args, baseDirectory, environment));

    private static (string? ConfigFile, string[] Remaining) SplitConfigFile(string[] args, List<string> problems)
    {
        string? file = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith(ConfigSwitch + "=", StringComparison.OrdinalIgnoreCase)) file = args[i][(ConfigSwitch.Length + 1)..];
            else if (string.Equals(args[i], ConfigSwitch, StringComparison.OrdinalIgnoreCase))
            {
                if (i + 1 < args.Length) file = args[++i];
                else problems.Add("--config needs a file name.");
            }
            else rest.Add(args[i]);
        }
        return (file, rest.ToArray());
    }

    private static IEnumerable<string> UnknownSwitches(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-') && !arg.Contains('=', StringComparison.Ordinal))
            {
                yield return $"'{arg}' is not an option (options look like --name silo1).";
                continue;
            }
            var key = arg.Split('=', 2)[0];
            var hasValue = arg.Contains('=', StringComparison.Ordinal);
            if (key.StartsWith('-') && !Switches.ContainsKey(key) && !key.Contains(':', StringComparison.Ordinal))
                yield return $"{key} is not a known option (known: {string.Join(", ", Switches.Keys)}, {ConfigSwitch}, or --Section:Key=value).";
            else if (!hasValue && key.StartsWith('-'))
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) yield return $"{key} needs a value.";
                else i++;
            }
        }
    }

    private static ServerOptions BindServer(IConfiguration configuration, List<string> problems)
    {
        var section = configuration.GetSection(ServerOptions.SectionName);
        var server = new ServerOptions();
        try
        {
            section.Bind(server);
        }
        catch (InvalidOperationException e)
        {
            problems.Add(e.Message);
        }
        if (section["StateMachines"] is { } list)
            server.StateMachines = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (server.StateMachines.Count == 0) server.StateMachines = BuiltinStateMachines.All.Keys.ToList();
        return server;
    }

    private static LuxRaftOptions BindLux(IConfiguration configuration, List<string> problems)
    {
        var protocolKey = LuxRaftOptions.SectionName + ":" + nameof(LuxRaftOptions.Protocol);
        if (configuration[protocolKey] is { } protocol &&
            (!Enum.TryParse<TransportProtocol>(protocol, ignoreCase: true, out _) || int.TryParse(protocol, CultureInfo.InvariantCulture, out _)))
        {
            problems.Add($"{protocolKey} '{protocol}' is not a known protocol (tcp or http).");
            configuration = new ConfigurationBuilder().AddConfiguration(configuration)
                .AddInMemoryCollection([new KeyValuePair<string, string?>(protocolKey, nameof(TransportProtocol.Tcp))]).Build();
        }
        var lux = new LuxRaftOptions();
        try
        {
            configuration.GetSection(LuxRaftOptions.SectionName).Bind(lux);
        }
        catch (InvalidOperationException e)
        {
            problems.Add(e.Message);
        }
        return lux;
    }

    private static IPEndPoint? CheckServer(ServerOptions server, LuxRaftOptions lux, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(server.Name)) problems.Add("Server:Name is required (a unique, stable silo name such as silo1).");
        else if (server.Name.Any(c => char.IsWhiteSpace(c) || c == '@' || c == '/')) problems.Add($"Server:Name '{server.Name}' must not contain spaces, '@' or '/'.");
        if (string.IsNullOrWhiteSpace(server.ClusterId)) problems.Add("Server:ClusterId must not be empty.");
        if (string.IsNullOrWhiteSpace(server.ServiceId)) problems.Add("Server:ServiceId must not be empty.");
        CheckPort("Server:SiloPort", server.SiloPort, problems);
        CheckPort("Server:GatewayPort", server.GatewayPort, problems);
        if (server.SiloPort == server.GatewayPort) problems.Add($"Server:SiloPort and Server:GatewayPort are both {server.SiloPort}; they need different ports.");
        if (lux.ListenPort != 0 && (lux.ListenPort == server.SiloPort || lux.ListenPort == server.GatewayPort))
            problems.Add($"Lux:ListenPort {lux.ListenPort} is already the silo or gateway port.");
        // The peer channel refuses to start without a way for peers to authenticate; certificates can only be set in
        // code (LuxRaftOptions.ConfigurePeerChannel), so this host needs the shared secret.
        if (string.IsNullOrEmpty(lux.ClusterSecret))
            problems.Add($"Lux:ClusterSecret is required: the silos of a cluster prove to each other that they know it (at least 16 characters, the same on every silo); set it with the environment variable {EnvironmentPrefix}Lux__ClusterSecret.");
        var unknown = server.StateMachines.Where(n => !BuiltinStateMachines.All.ContainsKey(n)).ToArray();
        if (unknown.Length > 0)
            problems.Add($"Server:StateMachines names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which this server does not have (built-in: {string.Join(", ", BuiltinStateMachines.All.Keys)}).");
        var provider = MembershipProviders.All.FirstOrDefault(p => string.Equals(p, server.Membership.Provider, StringComparison.OrdinalIgnoreCase));
        if (provider is null)
        {
            problems.Add($"Server:Membership:Provider '{server.Membership.Provider}' is not supported (supported: {string.Join(", ", MembershipProviders.All)}).");
            return null;
        }
        server.Membership.Provider = provider;
        if (string.IsNullOrWhiteSpace(server.Membership.PrimarySiloEndpoint)) return null;
        if (!IPEndPoint.TryParse(server.Membership.PrimarySiloEndpoint, out var primary) || primary.Port is <= 0 or > 65535)
        {
            problems.Add($"Server:Membership:PrimarySiloEndpoint '{server.Membership.PrimarySiloEndpoint}' is not an address:port such as 127.0.0.1:11111.");
            return null;
        }
        return IPAddress.IsLoopback(primary.Address) && primary.Port == server.SiloPort ? null : primary;
    }

    private static void CheckPort(string name, int port, List<string> problems)
    {
        if (port is < 1 or > 65535) problems.Add($"{name} {port} is outside 1..65535.");
    }

    private static string CheckDataDirectory(string directory, List<string> problems)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, WriteProbeName);
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            problems.Add($"Lux:DataDirectory '{full}' cannot be created or written: {e.Message}");
        }
        return full;
    }
}
