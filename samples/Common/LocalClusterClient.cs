using Lux.Orleans;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Lux.Samples;

/// <summary>An Orleans client of a localhost-clustered Lux cluster, in its own generic host.</summary>
public sealed class LocalClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private LocalClusterClient(IHost host) => _host = host;

    /// <summary>The connected client.</summary>
    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Connects through the gateways on <paramref name="gatewayPorts"/> (127.0.0.1), retrying for <paramref name="connectTimeout"/>.</summary>
    public static async Task<LocalClusterClient> ConnectAsync(IReadOnlyList<int> gatewayPorts, string clusterId, string serviceId, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPorts.ToArray(), serviceId, clusterId);
            client.AddLuxRaft();
            // A call stuck on a gateway that was killed fails after this long and the workload retries it elsewhere.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            client.UseConnectionRetryFilter(new RetryUntil(DateTime.UtcNow + connectTimeout));
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new LocalClusterClient(host);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _host.Dispose();
    }

    private sealed class RetryUntil(DateTime deadline) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            return true;
        }
    }
}
