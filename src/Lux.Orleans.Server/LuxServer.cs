using Lux.Orleans.Builtins;
using Lux.Orleans.Hosting;
using Lux.Orleans.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Configuration;

namespace Lux.Orleans.Server;

/// <summary>
/// The Lux.Orleans silo host: reads and validates the configuration, then runs one Orleans silo with Lux and the
/// configured state machines on the .NET generic host until Ctrl+C / SIGTERM.
/// </summary>
public static partial class LuxServer
{
    /// <summary>The silo ran and stopped cleanly.</summary>
    public const int ExitOk = 0;

    /// <summary>The silo failed to start or stopped on an error.</summary>
    public const int ExitFailed = 1;

    /// <summary>The configuration is not valid; nothing was started.</summary>
    public const int ExitBadConfiguration = 2;

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        Lux.Orleans server: one silo of a Lux.Orleans cluster.

        Usage: Lux.Orleans.Server [--config file.json] [options] [--Section:Key=value ...]
          --name <silo>            silo name, unique and stable (Server:Name)
          --data <dir>             data directory: WAL, snapshots, catalog (Lux:DataDirectory)
          --protocol tcp|http      peer channel protocol (Lux:Protocol)
          --silo-port <port>       Orleans silo-to-silo port (Server:SiloPort)
          --gateway-port <port>    Orleans client gateway port (Server:GatewayPort)
          --peer-port <port>       peer channel port, 0 = any free port (Lux:ListenPort)
          --listen <ip>            peer channel address (Lux:ListenAddress)
          --primary <ip:port>      primary silo endpoint for localhost clustering (Server:Membership:PrimarySiloEndpoint)
          --membership <provider>  membership provider: Localhost (Server:Membership:Provider)
          --cluster-id <id>        Orleans cluster id (Server:ClusterId)
          --service-id <id>        Orleans service id (Server:ServiceId)
          --state-machines a,b     state machines to run: kv, log (Server:StateMachines)
        Environment: LUX_Server__Name, LUX_Lux__DataDirectory, LUX_Lux__ClusterSecret, ... (LUX_ + Section__Key).
        Exit codes: 0 stopped cleanly, 1 failed while running, 2 invalid configuration.
        """;

    /// <summary>
    /// Runs a silo configured from <paramref name="args"/>, <c>LUX_</c> environment variables and <c>appsettings.json</c>
    /// until <paramref name="cancellationToken"/> is cancelled or the process is asked to stop. Problems are written to
    /// <paramref name="error"/> as one paragraph, without a stack trace.
    /// </summary>
    /// <returns><see cref="ExitOk"/>, <see cref="ExitFailed"/> or <see cref="ExitBadConfiguration"/>.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return ExitOk;
        }
        ServerSettings settings;
        try
        {
            settings = ServerConfiguration.Load(args);
        }
        catch (ServerConfigurationException e)
        {
            await error.WriteLineAsync("lux-server: " + e.Message).ConfigureAwait(false);
            return ExitBadConfiguration;
        }
        return await RunAsync(settings, error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a silo with already validated <paramref name="settings"/>; see <see cref="RunAsync(string[], TextWriter, CancellationToken)"/>.</summary>
    public static async Task<int> RunAsync(ServerSettings settings, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(error);
        using var host = CreateHost(settings);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lux.Orleans.Server");
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(logger, settings.Server.Name, settings.Server.SiloPort, settings.Server.GatewayPort, settings.Lux.Protocol.ToString(),
                settings.Lux.ListenPort, settings.IsPrimary ? "primary" : "secondary", settings.Lux.DataDirectory);
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return ExitOk;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitOk;
        }
        catch (Exception e)
        {
            LogFailed(logger, e, settings.Server.Name);
            var hint = settings.PrimarySilo is { } primary && !host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.IsCancellationRequested
                ? $" It could not start: is the primary silo at {primary} running, with cluster id '{settings.Server.ClusterId}'?"
                : "";
            await error.WriteLineAsync($"lux-server: silo '{settings.Server.Name}' failed: {Describe(e)}.{hint}").ConfigureAwait(false);
            return ExitFailed;
        }
    }

    /// <summary>
    /// Creates (without starting) the generic host of one silo: console logging as configured in the <c>Logging</c>
    /// section, Orleans with localhost clustering, Lux with <see cref="ServerSettings.Lux"/>, and the configured state
    /// machines. <paramref name="configureLogging"/> replaces the console logging (in-process hosts, tests).
    /// </summary>
    public static IHost CreateHost(ServerSettings settings, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(settings.Configuration);
        builder.Logging.AddConfiguration(settings.Configuration.GetSection("Logging"));
        if (configureLogging is not null) configureLogging(builder.Logging);
        else builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.UseOrleans(silo => ConfigureSilo(silo, settings));
        return builder.Build();
    }

    private static void ConfigureSilo(ISiloBuilder silo, ServerSettings settings)
    {
        var server = settings.Server;
        silo.Configure<SiloOptions>(o => o.SiloName = server.Name);
        silo.UseLocalhostClustering(server.SiloPort, server.GatewayPort, settings.PrimarySilo, server.ServiceId, server.ClusterId);
        // Bound from the configuration rather than copied from settings.Lux, so options added to Lux later bind too;
        // only the data directory is replaced, by the absolute path that was checked for writing.
        silo.AddLuxRaft(settings.Configuration.GetSection(LuxRaftOptions.SectionName));
        silo.Services.PostConfigure<LuxRaftOptions>(lux => lux.DataDirectory = settings.Lux.DataDirectory);
        foreach (var name in server.StateMachines) BuiltinStateMachines.All[name](silo, name);
    }

    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (messages.Count == 0 || messages[^1] != current.Message) messages.Add(current.Message);
        }
        return string.Join(" <- ", messages);
    }

    [LoggerMessage(1, LogLevel.Information, "Silo {Silo} is up: silo port {SiloPort}, gateway port {GatewayPort}, peer channel {Protocol} port {PeerPort}, {Role}, data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string silo, int siloPort, int gatewayPort, string protocol, int peerPort, string role, string dataDirectory);

    [LoggerMessage(2, LogLevel.Error, "Silo {Silo} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string silo);
}
