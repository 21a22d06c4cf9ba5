using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Lux.Raft;
using Lux.Raft.Transport.Sessions;
using Lux.Raft.Transport.Diagnostics;
using Lux.Raft.Transport.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lux.Raft.Transport;

/// <summary>
/// What the TCP and HTTP transports share: per-peer send queues with reconnection, the handshake, framing, heartbeat
/// coalescing, snapshot streaming and the inbound sessions. A subclass only opens links (<c>ConnectAsync</c>) and listens.
/// </summary>
public abstract partial class PeerChannelTransport : IPeerTransport
{
    private readonly ConcurrentDictionary<string, OutboundPeer> _peers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InboundSession> _inbound = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<InboundSession, byte> _sessions = new();
    private readonly CancellationTokenSource _hardStop = new();
    private int _pendingHandshakes;
    private int _state;

    private protected PeerChannelTransport(PeerChannelOptions options, IPeerDirectory directory, IRaftMessageHandler handler, string protocol,
        ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Directory = directory ?? throw new ArgumentNullException(nameof(directory));
        Handler = handler ?? throw new ArgumentNullException(nameof(handler));
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger(GetType());
        Metrics = new TransportMetrics(protocol, options.NodeId, meterFactory);
        Authenticator = new ClusterAuthenticator(options.SecretBytes);
        Trust = options.TrustedCertificates is { Count: > 0 } trusted ? new CertificateTrust(trusted) : null;
        Watchdog = new Watchdog(options.HandshakeTimeout, options.FrameTimeout);
        Protocol = protocol;
    }

    /// <inheritdoc />
    public string NodeId => Options.NodeId;

    /// <inheritdoc />
    public TransportStatistics Statistics => Metrics.Statistics;

    /// <summary>The endpoint the listener is bound to, once started.</summary>
    public abstract EndPoint? LocalEndPoint { get; }

    internal PeerChannelOptions Options { get; }
    internal IPeerDirectory Directory { get; }
    internal IRaftMessageHandler Handler { get; }
    internal ILoggerFactory LoggerFactory { get; }
    internal ILogger Logger { get; }
    internal TransportMetrics Metrics { get; }
    internal ClusterAuthenticator Authenticator { get; }
    internal CertificateTrust? Trust { get; }
    internal Watchdog Watchdog { get; }
    internal string Protocol { get; }
    internal CancellationToken HardStopToken => _hardStop.Token;
    internal bool IsStopping => Volatile.Read(ref _state) >= 2;

    /// <inheritdoc />
    public async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the transport was already started");
        await StartListeningAsync(cancellationToken).ConfigureAwait(false);
        TransportLog.Listening(Logger, NodeId, LocalEndPoint?.ToString() ?? "?", Protocol, SecurityDescription);
    }

    /// <inheritdoc />
    public bool TrySend(string peer, ulong partitionId, Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Type.IsLocal()) throw new ArgumentException($"{message.Type} is local and never crosses the network", nameof(message));
        if (IsStopping)
        {
            ReportDropped(peer, partitionId, message);
            return false;
        }
        return GetPeer(peer).TrySend(partitionId, message);
    }

    /// <inheritdoc />
    public bool TrySend(string peer, ReadOnlySpan<(ulong PartitionId, Message Message)> messages)
    {
        foreach (var (_, message) in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            if (message.Type.IsLocal()) throw new ArgumentException($"{message.Type} is local and never crosses the network", nameof(messages));
        }
        if (IsStopping)
        {
            foreach (var (partitionId, message) in messages) ReportDropped(peer, partitionId, message);
            return false;
        }
        return GetPeer(peer).TrySend(messages);
    }

    /// <inheritdoc />
    public ValueTask SendSnapshotAsync(string peer, ulong partitionId, Message snapshotMessage, Stream data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshotMessage);
        ArgumentNullException.ThrowIfNull(data);
        if (snapshotMessage.Type != MessageType.Snapshot) throw new ArgumentException("a snapshot is sent with a Snapshot message", nameof(snapshotMessage));
        if (IsStopping) throw new PeerChannelException("the transport is stopping");
        return GetPeer(peer).SendSnapshotAsync(partitionId, snapshotMessage, data, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) >= 2) return;
        await using var hardStop = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _hardStop).ConfigureAwait(false);
        try
        {
            await StopListeningAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(_peers.Values.Select(p => p.StopAsync())).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Keys.Select(s => s.StopAsync(cancellationToken))).ConfigureAwait(false);
        await _hardStop.CancelAsync().ConfigureAwait(false);
        Volatile.Write(ref _state, 3);
        TransportLog.Stopped(Logger, NodeId);
    }

    /// <summary>Stops with a five-second grace period, then releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await StopAsync(grace.Token).ConfigureAwait(false);
        }
        await DisposeListenerAsync().ConfigureAwait(false);
        Watchdog.Dispose();
        Metrics.Dispose();
        _hardStop.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected abstract ValueTask StartListeningAsync(CancellationToken cancellationToken);

    private protected abstract ValueTask StopListeningAsync(CancellationToken cancellationToken);

    private protected abstract ValueTask DisposeListenerAsync();

    /// <summary>Opens a link to <paramref name="endPoint"/>; the handshake follows on it.</summary>
    private protected abstract ValueTask<PeerLink> ConnectAsync(string peer, EndPoint endPoint, CancellationToken cancellationToken);

    private protected abstract string SecurityDescription { get; }

    internal ValueTask<PeerLink> OpenLinkAsync(string peer, EndPoint endPoint, CancellationToken cancellationToken) => ConnectAsync(peer, endPoint, cancellationToken);

    /// <summary>Serves one incoming link until it closes; never throws.</summary>
    private protected Task ServeInboundAsync(PeerLink link, Supervision? supervision = null)
    {
        var session = new InboundSession(this, link, supervision ?? Watchdog.Watch(HardStopToken));
        return session.RunAsync();
    }

    /// <summary>Starts supervising a connection before it has a link (for the TLS handshake, which the deadline also covers).</summary>
    private protected Supervision Supervise() => Watchdog.Watch(HardStopToken);

    internal bool TryEnterHandshake()
    {
        if (Interlocked.Increment(ref _pendingHandshakes) <= Options.MaxPendingHandshakes) return true;
        Interlocked.Decrement(ref _pendingHandshakes);
        return false;
    }

    internal int PendingHandshakes => Volatile.Read(ref _pendingHandshakes);

    internal void LeaveHandshake() => Interlocked.Decrement(ref _pendingHandshakes);

    internal void Track(InboundSession session) => _sessions.TryAdd(session, 0);

    internal void Untrack(InboundSession session)
    {
        _sessions.TryRemove(session, out _);
        if (session.Peer is { } peer) _inbound.TryRemove(new KeyValuePair<string, InboundSession>(peer, session));
    }

    /// <summary>Records <paramref name="session"/> as the live connection from its peer; an older one is cut.</summary>
    internal void RegisterInbound(string peer, InboundSession session)
    {
        InboundSession? previous = null;
        _inbound.AddOrUpdate(peer, session, (_, old) =>
        {
            previous = old;
            return session;
        });
        if (previous is not null && !ReferenceEquals(previous, session)) previous.Abort("replaced by a newer connection from the same peer");
    }

    internal void ReportDropped(string peer, ulong partitionId, Message message)
    {
        Metrics.Dropped(1);
        try
        {
            Handler.OnUnreachable(peer, partitionId, message.To);
        }
        catch (Exception e)
        {
            TransportLog.HandlerFailed(Logger, e, peer, partitionId);
        }
    }

    internal void ReportPeerUnreachable(string peer)
    {
        try
        {
            Handler.OnPeerUnreachable(peer);
        }
        catch (Exception e)
        {
            TransportLog.HandlerFailed(Logger, e, peer, 0);
        }
    }

    private OutboundPeer GetPeer(string peer)
    {
        ArgumentException.ThrowIfNullOrEmpty(peer);
        if (_peers.TryGetValue(peer, out var existing)) return existing;
        var created = new OutboundPeer(this, peer);
        var winner = _peers.GetOrAdd(peer, created);
        if (ReferenceEquals(winner, created)) created.Start();
        return winner;
    }
}
