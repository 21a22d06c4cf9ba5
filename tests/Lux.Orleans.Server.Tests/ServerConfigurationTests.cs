using Lux.Orleans.Server.Configuration;
using Lux.Raft.Transport;

namespace Lux.Orleans.Server.Tests;

/// <summary>How the server's settings come together from file, environment and command line, and how bad ones are reported.</summary>
public sealed class ServerConfigurationTests : IDisposable
{
    private static readonly IReadOnlyDictionary<string, string> SecretOnly = new Dictionary<string, string> { ["LUX_Lux__ClusterSecret"] = "a-secret-of-16-chars-or-more" };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "lux-server-tests", Guid.NewGuid().ToString("N"));

    public ServerConfigurationTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Data(string name = "data") => Path.Combine(_root, name);

    private ServerSettings Load(string[] args, IReadOnlyDictionary<string, string>? environment = null) =>
        ServerConfiguration.Load(args, baseDirectory: _root, environment ?? SecretOnly);

    private ServerConfigurationException Fails(string[] args, IReadOnlyDictionary<string, string>? environment = null) =>
        Assert.Throws<ServerConfigurationException>(() => Load(args, environment));

    [Fact]
    public void Command_line_switches_set_every_server_setting()
    {
        var settings = Load(["--name", "silo2", "--data", Data(), "--protocol", "http", "--silo-port", "11112", "--gateway-port", "30001",
            "--peer-port", "7102", "--primary", "127.0.0.1:11111", "--cluster-id", "c1", "--service-id", "s1", "--state-machines", "kv"]);

        Assert.Equal("silo2", settings.Server.Name);
        Assert.Equal(Data(), settings.Lux.DataDirectory);
        Assert.Equal(TransportProtocol.Http, settings.Lux.Protocol);
        Assert.Equal(11112, settings.Server.SiloPort);
        Assert.Equal(30001, settings.Server.GatewayPort);
        Assert.Equal(7102, settings.Lux.ListenPort);
        Assert.Equal("127.0.0.1:11111", settings.PrimarySilo!.ToString());
        Assert.False(settings.IsPrimary);
        Assert.Equal(("c1", "s1"), (settings.Server.ClusterId, settings.Server.ServiceId));
        Assert.Equal(["kv"], settings.Server.StateMachines);
    }

    [Fact]
    public void The_command_line_overrides_the_environment_which_overrides_appsettings()
    {
        File.WriteAllText(Path.Combine(_root, "appsettings.json"), $$"""
            { "Server": { "Name": "from-file", "SiloPort": 12000, "GatewayPort": 32000, "StateMachines": [ "kv", "log" ] },
              "Lux": { "DataDirectory": "{{Data().Replace("\\", "\\\\", StringComparison.Ordinal)}}", "Protocol": "Tcp", "TickInterval": "00:00:00.050" } }
            """);
        var environment = new Dictionary<string, string>(SecretOnly) { ["LUX_Server__Name"] = "from-env", ["LUX_Server__SiloPort"] = "12001", ["OTHER_Server__Name"] = "ignored" };

        var settings = Load(["--silo-port", "12002"], environment);

        Assert.Equal("from-env", settings.Server.Name);
        Assert.Equal(12002, settings.Server.SiloPort);
        Assert.Equal(32000, settings.Server.GatewayPort);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.Lux.TickInterval);
        Assert.Equal(["kv", "log"], settings.Server.StateMachines);
        Assert.True(settings.IsPrimary);
    }

    [Fact]
    public void A_config_file_and_generic_section_keys_are_read()
    {
        var file = Path.Combine(_root, "silo3.json");
        File.WriteAllText(file, """{ "Server": { "Name": "silo3" }, "Lux": { "ElectionTicks": 20 } }""");

        var settings = Load(["--config", file, "--data", Data(), "--Lux:HeartbeatTicks=2", "--Server:Membership:PrimarySiloEndpoint=127.0.0.1:11111"]);

        Assert.Equal("silo3", settings.Server.Name);
        Assert.Equal((20, 2), (settings.Lux.ElectionTicks, settings.Lux.HeartbeatTicks));
        Assert.True(settings.IsPrimary, "the primary endpoint is this silo's own (default port 11111)");
    }

    [Fact]
    public void Defaults_run_every_built_in_state_machine_over_tcp_with_localhost_membership()
    {
        var settings = Load(["--name", "solo", "--data", Data()]);

        Assert.Equal(["kv", "log"], settings.Server.StateMachines.Order());
        Assert.Equal(TransportProtocol.Tcp, settings.Lux.Protocol);
        Assert.Equal(MembershipProviders.Localhost, settings.Server.Membership.Provider);
        Assert.True(Directory.Exists(Data()));
    }

    [Fact]
    public void A_relative_data_directory_is_made_absolute_and_created()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Data("relative"));

        var settings = Load(["--name", "solo", "--data", relative]);

        Assert.Equal(Data("relative"), settings.Lux.DataDirectory);
        Assert.True(Directory.Exists(Data("relative")));
    }

    [Fact]
    public void A_missing_data_directory_is_reported()
    {
        var error = Fails(["--name", "silo1"]);

        Assert.Contains(error.Problems, p => p.Contains("Lux:DataDirectory is required", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--silo-port", "0", "Server:SiloPort 0 is outside 1..65535")]
    [InlineData("--gateway-port", "70000", "Server:GatewayPort 70000 is outside 1..65535")]
    [InlineData("--peer-port", "65536", "Lux:ListenPort 65536 is outside 0..65535")]
    [InlineData("--silo-port", "eleven", "Server:SiloPort")]
    [InlineData("--protocol", "udp", "Lux:Protocol 'udp' is not a known protocol (tcp or http)")]
    [InlineData("--protocol", "1", "Lux:Protocol '1' is not a known protocol")]
    [InlineData("--membership", "Zookeeper", "Server:Membership:Provider 'Zookeeper' is not supported")]
    [InlineData("--primary", "localhost", "Server:Membership:PrimarySiloEndpoint 'localhost' is not an address:port")]
    [InlineData("--state-machines", "kv,queue", "Server:StateMachines names 'queue'")]
    [InlineData("--name", "my silo", "must not contain spaces")]
    public void A_bad_setting_is_reported_by_name(string option, string value, string expected)
    {
        var args = new List<string> { "--data", Data() };
        if (option != "--name") args.AddRange(["--name", "silo1"]);
        args.AddRange([option, value]);

        var error = Fails(args.ToArray());

        Assert.Contains(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_cluster_secret_is_reported_and_a_short_one_too()
    {
        var missing = Fails(["--name", "silo1", "--data", Data()], new Dictionary<string, string>());
        var shortOne = Fails(["--name", "silo1", "--data", Data()], new Dictionary<string, string> { ["LUX_Lux__ClusterSecret"] = "short" });

        Assert.Contains(missing.Problems, p => p.Contains("Lux:ClusterSecret is required", StringComparison.Ordinal));
        Assert.Contains(shortOne.Problems, p => p.Contains("Lux:ClusterSecret must be at least 16 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void Clashing_ports_are_reported()
    {
        var error = Fails(["--name", "silo1", "--data", Data(), "--silo-port", "12000", "--gateway-port", "12000", "--peer-port", "12000"]);

        Assert.Contains(error.Problems, p => p.Contains("need different ports", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("Lux:ListenPort 12000 is already the silo or gateway port", StringComparison.Ordinal));
    }

    [Fact]
    public void A_data_directory_that_cannot_be_created_is_reported()
    {
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "not a directory");

        var error = Fails(["--name", "silo1", "--data", Path.Combine(file, "data")]);

        Assert.Contains(error.Problems, p => p.Contains("cannot be created or written", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_options_stray_words_and_missing_values_are_reported_together()
    {
        var error = Fails(["--nmae", "silo1", "stray", "--data"]);

        Assert.Contains(error.Problems, p => p.Contains("--nmae is not a known option", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("'stray' is not an option", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("--data needs a value", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_config_file_is_reported()
    {
        var error = Fails(["--config", Path.Combine(_root, "absent.json")]);

        Assert.Contains(error.Problems, p => p.Contains("absent.json' given with --config does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Fails(["--silo-port", "0", "--protocol", "carrier-pigeon"]);

        Assert.True(error.Problems.Count >= 4, string.Join(" | ", error.Problems));
    }

    [Fact]
    public async Task A_bad_configuration_exits_with_code_2_and_one_paragraph_without_a_stack_trace()
    {
        using var error = new StringWriter();

        var code = await LuxServer.RunAsync(["--name", "silo1", "--protocol", "udp", "--silo-port", "99999"], error);

        var text = error.ToString().TrimEnd();
        Assert.Equal(LuxServer.ExitBadConfiguration, code);
        Assert.StartsWith("lux-server: The server configuration is not valid:", text, StringComparison.Ordinal);
        Assert.Contains("Lux:Protocol 'udp'", text, StringComparison.Ordinal);
        Assert.Contains("Server:SiloPort 99999", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain(" at Lux.", text, StringComparison.Ordinal);
    }
}
