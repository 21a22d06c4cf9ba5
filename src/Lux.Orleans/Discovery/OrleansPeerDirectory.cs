using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Lux.Orleans.Diagnostics;
using Lux.Orleans.Grains;
using Lux.Raft.Transport;
using Microsoft.Extensions.Logging;

namespace Lux.Orleans.Discovery;

/// <summary>
/// Resolves a silo name to its peer-channel endpoint through Orleans: each silo's <see cref="IRaftNodeGrain"/>, pinned to
/// that silo, reports the endpoint its channel listens on (so ports may differ per silo and change across restarts).
/// Lookups are asynchronous and cached; a miss starts one and answers "unknown" at once, and the channel's reconnection
/// (or Raft's next heartbeat) tries again. Endpoints are refreshed when membership shows a silo (re)joined and when a
/// connection to it fails.
/// </summary>
internal sealed class OrleansPeerDirectory : IPeerDirectory
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, EndPoint> _endPoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _lookups = new(StringComparer.Ordinal);
    private readonly Func<string, Task<string>> _askSilo;
    private readonly ILogger _logger;
    private string? _local;

    public OrleansPeerDirectory(IGrainFactory grains, ILoggerFactory loggerFactory)
        : this(silo => grains.GetGrain<IRaftNodeGrain>(silo).GetPeerEndPointAsync(), loggerFactory)
    {
    }

    /// <param name="askSilo">Asks a silo, by name, for the endpoint its peer channel listens on.</param>
    /// <param name="loggerFactory">Logging.</param>
    internal OrleansPeerDirectory(Func<string, Task<string>> askSilo, ILoggerFactory loggerFactory)
    {
        _askSilo = askSilo;
        _logger = loggerFactory.CreateLogger("Lux.Orleans.PeerDirectory");
    }

    public void SetLocal(string silo, EndPoint endPoint)
    {
        _local = silo;
        _endPoints[silo] = endPoint;
    }

    public bool TryResolve(string nodeId, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        if (_endPoints.TryGetValue(nodeId, out endPoint)) return true;
        Refresh(nodeId);
        return false;
    }

    /// <summary>Starts a lookup of <paramref name="silo"/>'s endpoint unless one is running; <paramref name="force"/> drops the cached one first.</summary>
    /// <remarks>
    /// The lookup's entry is in place before the lookup starts, and the lookup removes only its own entry. Starting it
    /// inside <c>GetOrAdd</c>'s factory let a lookup that failed at once (the silo not active yet) finish, and remove
    /// nothing, before its task was stored: the finished task then stood for a running lookup for good, no lookup of
    /// that silo ever started again, and a restarted silo stayed unreachable from this one.
    /// </remarks>
    public void Refresh(string silo, bool force = false)
    {
        if (silo == _local) return;
        if (force) _endPoints.TryRemove(silo, out _);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_lookups.TryAdd(silo, done.Task)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await LookupAsync(silo).ConfigureAwait(false);
            }
            finally
            {
                _lookups.TryRemove(new KeyValuePair<string, Task>(silo, done.Task));
                done.TrySetResult();
            }
        });
    }

    /// <summary>True while a lookup of <paramref name="silo"/> is under way (tests).</summary>
    internal bool IsLookingUp(string silo) => _lookups.ContainsKey(silo);

    private async Task LookupAsync(string silo)
    {
        try
        {
            var text = await _askSilo(silo).WaitAsync(LookupTimeout).ConfigureAwait(false);
            var endPoint = Parse(text);
            if (!_endPoints.TryGetValue(silo, out var previous) || !previous.Equals(endPoint))
            {
                _endPoints[silo] = endPoint;
                RaftHostLog.Resolved(_logger, silo, text);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RaftHostLog.ResolveFailed(_logger, silo, e.Message);
        }
    }

    internal static EndPoint Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port)) throw new FormatException($"'{text}' is not host:port");
        var host = text[..colon].Trim('[', ']');
        return IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
    }
}
