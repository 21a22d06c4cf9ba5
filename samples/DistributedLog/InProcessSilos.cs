using Lux.Orleans.Server;
using Lux.Orleans.Server.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lux.Samples.DistributedLog;

/// <summary>
/// Three Lux.Orleans.Server silos inside this process (localhost clustering, the first one primary), for a demo that
/// needs nothing else running. Data goes to <c>{root}/{silo}</c>.
/// </summary>
public sealed class InProcessSilos : IAsyncDisposable
{
    private readonly List<IHost> _hosts = [];

    private InProcessSilos(IReadOnlyList<LocalSilo> silos) => Silos = silos;

    /// <summary>The silos and their ports.</summary>
    public IReadOnlyList<LocalSilo> Silos { get; }

    /// <summary>Starts <paramref name="count"/> silos on free ports with their data under <paramref name="root"/>.</summary>
    public static async Task<InProcessSilos> StartAsync(int count, string root, string clusterId, CancellationToken cancellationToken)
    {
        var cluster = new InProcessSilos(LocalPorts.Plan(count, basePort: null));
        var primary = cluster.Silos[0];
        var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        try
        {
            foreach (var silo in cluster.Silos)
            {
                string[] args =
                [
                    "--name", silo.Name, "--data", Path.Combine(root, silo.Name), "--silo-port", $"{silo.SiloPort}", "--gateway-port", $"{silo.GatewayPort}",
                    "--peer-port", $"{silo.PeerPort}", "--primary", $"127.0.0.1:{primary.SiloPort}", "--cluster-id", clusterId, "--service-id", clusterId,
                    "--state-machines", "log",
                ];
                var settings = ServerConfiguration.Load(args, baseDirectory: root,
                    environment: new Dictionary<string, string> { ["LUX_Lux__ClusterSecret"] = secret });
                var host = LuxServer.CreateHost(settings, logging => logging.SetMinimumLevel(LogLevel.Warning));
                cluster._hosts.Add(host);
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // A silo that failed to start cannot be stopped; disposing it is all that is left.
            }
            host.Dispose();
        }
        _hosts.Clear();
    }
}
