using Microsoft.Extensions.Hosting;

namespace Lux.Raft.Transport.Http;

/// <summary>
/// The lifetime of the transport's embedded Kestrel host: it starts and stops only when the transport does. The default
/// console lifetime would hook Ctrl+C and SIGTERM and stop the listener behind the silo's back.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
