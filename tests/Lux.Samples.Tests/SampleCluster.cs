using Lux.Orleans;
using Lux.Orleans.Builtins;
using Lux.Orleans.Hosting;
using Lux.Samples.KeyValueStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

namespace Lux.Samples.Tests;

/// <summary>
/// Three in-process silos (shared in-process membership, so any silo can be killed) running Lux with the built-in
/// state machines, the same pattern as the Orleans integration's own tests. Also the demo's cluster, so the main job's
/// logic runs against it.
/// </summary>
public sealed class SampleCluster : IDemoCluster, IAsyncDisposable
{
    private readonly InProcessTestCluster _cluster;
    private readonly string _root;
    private readonly List<InProcessSiloHandle> _restarted = [];

    private SampleCluster(InProcessTestCluster cluster, string root)
    {
        _cluster = cluster;
        _root = root;
    }

    public IClusterClient Client => _cluster.Client;

    public IReadOnlyList<string> Silos => _cluster.Silos.Select(s => s.Name).ToArray();

    public string PrimarySilo => _cluster.Silos[0].Name;

    public static async Task<SampleCluster> StartAsync(int silos = 3)
    {
        var root = Path.Combine(Path.GetTempPath(), "lux-samples-tests", Guid.NewGuid().ToString("N"));
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddLuxRaft(lux =>
            {
                lux.DataDirectory = Path.Combine(root, options.SiloName);
                lux.TickInterval = TimeSpan.FromMilliseconds(50);
                lux.SyncWrites = false;
                lux.AttemptTimeout = TimeSpan.FromSeconds(3);
                lux.ClusterSecret = "lux-samples-tests-secret";
            });
            silo.AddKeyValueStateMachine();
            silo.AddAppendOnlyLogStateMachine();
            silo.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        builder.ConfigureClient(client => client.AddLuxRaft());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new SampleCluster(cluster, root);
    }

    public async Task<string> KillAsync(string silo, CancellationToken cancellationToken)
    {
        await _cluster.KillSiloAsync(_cluster.Silos.Single(s => s.Name == silo));
        return $"{silo} (in-process kill)";
    }

    public async Task<string> RestartAsync(string silo, CancellationToken cancellationToken)
    {
        // Silo names are "Silo_{instance}"; the same instance number gives the same name, hence the same data directory.
        var instance = int.Parse(silo[(silo.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var handle = await _cluster.StartSiloAsync(instance, _cluster.Options, CancellationToken.None);
        _restarted.Add(handle);
        return $"{handle.Name} (in-process restart)";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var handle in _restarted) await handle.StopSiloAsync(stopGracefully: true);
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Sends what a demo prints to the test output, line by line.</summary>
public sealed class TestOutputWriter(Xunit.Abstractions.ITestOutputHelper output) : StringWriter
{
    public override void WriteLine(string? value)
    {
        lock (this) output.WriteLine(value ?? "");
    }
}
