using System.Collections.Concurrent;
using System.Net;
using Lux.Orleans.Catalog;
using Lux.Orleans.Diagnostics;
using Lux.Orleans.Discovery;
using Lux.Orleans.Hosting;
using Lux.Orleans.StateMachines;
using Lux.Raft.Storage.LiteDb;
using Lux.Raft.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Lux.Orleans.Replication;

/// <summary>
/// The silo-level replica host: one per silo. Owns the silo's write-ahead log, its peer channel and one
/// <see cref="ReplicaRunner"/> per local replica; ticks them all from one timer; dispatches incoming Raft messages and
/// snapshots to them; reopens every replica recorded in the local catalog at start. Grains are its façade.
/// </summary>
internal sealed partial class RaftReplicaHost : IRaftMessageHandler, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly ConcurrentDictionary<ulong, ReplicaRunner> _replicas = new();
    private readonly ConcurrentDictionary<ulong, string> _names = new();
    private readonly ConcurrentDictionary<ulong, Task> _creating = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly System.Diagnostics.Metrics.IMeterFactory? _meterFactory;
    private readonly CancellationTokenSource _stopping = new();
    private LiteDbWriteAheadLog? _wal;
    private PeerChannelTransport? _transport;
    private LocalPartitionCatalog? _catalog;
    private Task _ticker = Task.CompletedTask;
    private long _ticks;
    private Task _background = Task.CompletedTask;

    public RaftReplicaHost(IOptions<LuxRaftOptions> options, ILocalSiloDetails silo, IClusterMembershipService membership,
        StateMachineRegistry stateMachines, IGrainFactory grains, OrleansPeerDirectory directory, RaftMetrics metrics,
        ILoggerFactory loggerFactory, IServiceProvider services)
    {
        Options = options.Value;
        LocalSilo = silo.Name;
        LocalId = RaftIdentity.ReplicaIdOf(LocalSilo);
        Membership = membership;
        StateMachines = stateMachines;
        Grains = grains;
        Directory = directory;
        Metrics = metrics;
        _loggerFactory = loggerFactory;
        _meterFactory = services.GetService(typeof(System.Diagnostics.Metrics.IMeterFactory)) as System.Diagnostics.Metrics.IMeterFactory;
        Logger = loggerFactory.CreateLogger("Lux.Orleans.ReplicaHost");
        _names[LocalId] = LocalSilo;
    }

    public LuxRaftOptions Options { get; }

    /// <summary>This silo's name: the identity of its replicas and of its peer-channel node.</summary>
    public string LocalSilo { get; }

    /// <summary>The Raft id of every replica on this silo.</summary>
    public ulong LocalId { get; }

    public ILogger Logger { get; }

    public RaftMetrics Metrics { get; }

    public StateMachineRegistry StateMachines { get; }

    public IClusterMembershipService Membership { get; }

    public IGrainFactory Grains { get; }

    public OrleansPeerDirectory Directory { get; }

    public SnapshotFileStore Snapshots => Wal.Snapshots;

    public IPeerTransport Transport => _transport ?? throw new InvalidOperationException("the replica host has not started");

    private LiteDbWriteAheadLog Wal => _wal ?? throw new InvalidOperationException("the replica host has not started");

    private LocalPartitionCatalog Catalog => _catalog ?? throw new InvalidOperationException("the replica host has not started");

    /// <summary>The endpoint other silos reach this silo's peer channel at.</summary>
    public string AdvertisedEndPoint { get; private set; } = "";

    /// <summary>Ticks of the host's timer since it started (every replica that is not quiesced got each one).</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    public IReadOnlyCollection<ReplicaRunner> Replicas => (IReadOnlyCollection<ReplicaRunner>)_replicas.Values;

    public void Participate(ISiloLifecycle lifecycle)
    {
        // Replicas and the peer channel are up before the silo takes grain calls, and stay up until grains are gone.
        lifecycle.Subscribe(nameof(RaftReplicaHost), ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);
        lifecycle.Subscribe(nameof(RaftReplicaHost) + ".Active", ServiceLifecycleStage.Active, StartBackgroundAsync, _ => Task.CompletedTask);
    }

    /// <summary>The silo name behind a replica id, if known.</summary>
    public string? NameOf(ulong replicaId) => replicaId == 0 ? null : _names.GetValueOrDefault(replicaId);

    /// <summary>Remembers silo names, so replica ids can be turned back into silos (and keeps them across restarts).</summary>
    public void LearnSilos(IEnumerable<string> silos)
    {
        var learned = new List<string>();
        foreach (var silo in silos)
        {
            if (_names.TryAdd(RaftIdentity.ReplicaIdOf(silo), silo)) learned.Add(silo);
        }
        if (learned.Count > 0 && _catalog is { } catalog) _ = RecordSilosAsync(catalog, learned);
    }

    /// <summary>
    /// Names learned from membership are recorded in the background: a partition's own voters are recorded with its
    /// catalog entry anyway, and a failed write leaves the names in the catalog's memory for its next write.
    /// </summary>
    private async Task RecordSilosAsync(LocalPartitionCatalog catalog, List<string> silos)
    {
        try
        {
            await catalog.AddSilosAsync(silos, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or ObjectDisposedException)
        {
            RaftHostLog.CatalogSilosNotRecorded(Logger, LocalSilo, string.Join(",", silos), e.Message);
        }
    }

    public ReplicaRunner? Find(string partitionId) => _replicas.GetValueOrDefault(RaftIdentity.PartitionKeyOf(partitionId));

    /// <summary>
    /// Proposes a batch of session entries to this silo's replica of a partition, bounded by the attempt timeout: the
    /// path of the replica grain, and of a partition router on the leader's own silo, which skips the grain call.
    /// </summary>
    public async Task<ReplicaReply[]> ProposeBatchAsync(string partitionId, byte[][] entries)
    {
        var operation = Find(partitionId)?.ProposeBatchAsync(entries);
        if (operation is null) return Filled(entries.Length, ReplicaReply.NotFound);
        try
        {
            return await operation.WaitAsync(Options.AttemptTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Filled(entries.Length, ReplicaReply.TimedOut);
        }
    }

    private static ReplicaReply[] Filled(int count, ReplicaReply reply)
    {
        var replies = new ReplicaReply[count];
        Array.Fill(replies, reply);
        return replies;
    }

    public IReadOnlyList<PartitionDescriptor> HostedPartitions => _replicas.Values.Select(r => r.Descriptor).ToArray();

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Options.DataDirectory);
        _wal = await LiteDbWriteAheadLog.OpenAsync(new LiteDbWalOptions { DataDirectory = Options.DataDirectory, Sync = Options.SyncWrites },
            _loggerFactory, _meterFactory, cancellationToken).ConfigureAwait(false);
        _catalog = new LocalPartitionCatalog(Options.DataDirectory);
        LearnSilos(_catalog.Silos);
        var channel = new PeerChannelOptions();
        Options.ConfigurePeerChannel?.Invoke(channel);
        channel.NodeId = LocalSilo;
        channel.Protocol = Options.Protocol;
        channel.ListenAddress = Options.ListenAddress;
        channel.ListenPort = Options.ListenPort;
        if (Options.ClusterSecret is not null) channel.ClusterSecret = Options.ClusterSecret;
        _transport = PeerTransport.Create(channel, Directory, this, _loggerFactory, _meterFactory);
        await _transport.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = (IPEndPoint)(_transport.LocalEndPoint ?? throw new InvalidOperationException("the peer channel reports no local endpoint"));
        AdvertisedEndPoint = $"{Options.AdvertisedAddress ?? Options.ListenAddress}:{bound.Port}";
        Directory.SetLocal(LocalSilo, new IPEndPoint(IPAddress.Parse(Options.ListenAddress), bound.Port));
        foreach (var descriptor in _catalog.Partitions)
        {
            await OpenAsync(descriptor, cancellationToken).ConfigureAwait(false);
        }
        _ticker = Task.Run(TickAsync);
        RaftHostLog.HostStarted(Logger, LocalSilo, LocalId, Options.Protocol.ToString(), AdvertisedEndPoint, _replicas.Count, Options.DataDirectory);
    }

    private Task StartBackgroundAsync(CancellationToken cancellationToken)
    {
        _background = Task.WhenAll(Task.Run(WatchMembershipAsync), Task.Run(RepairLoopAsync), Task.Run(CreateConfiguredPartitionsAsync));
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_ticker, _background).ConfigureAwait(false);
        await Task.WhenAll(_replicas.Values.Select(r => r.StopAsync())).ConfigureAwait(false);
        _replicas.Clear();
        if (_transport is not null) await _transport.DisposeAsync().ConfigureAwait(false);
        if (_wal is not null) await _wal.DisposeAsync().ConfigureAwait(false);
        _transport = null;
        _wal = null;
        RaftHostLog.HostStopped(Logger, LocalSilo);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested) await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _catalog?.Dispose();
    }

    /// <summary>
    /// Creates this silo's replica of a partition (or confirms it exists with the same state machine): records it in the
    /// local catalog first, so a crash right after still reopens it, then opens its log and starts it. Creations of
    /// different partitions run side by side (their catalog records and bootstrap writes share syncs); two creations of
    /// one partition are serialized, and the second finds the first's replica.
    /// </summary>
    public async Task<ReplicaReply> EnsureReplicaAsync(PartitionDescriptor descriptor, bool campaign, CancellationToken cancellationToken)
    {
        RaftIdentity.ValidatePartitionId(descriptor.PartitionId);
        if (!StateMachines.Contains(descriptor.StateMachine))
            return ReplicaReply.Of(ReplicaReplyStatus.Failed, $"silo {LocalSilo} has no state machine registered as '{descriptor.StateMachine}'");
        while (true)
        {
            if (_replicas.TryGetValue(descriptor.PartitionKey, out var existing)) return SameReplica(existing, descriptor);
            var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = _creating.GetOrAdd(descriptor.PartitionKey, mine.Task);
            if (running != mine.Task)
            {
                await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
                continue;
            }
            try
            {
                // A creation that finished between the look-up above and claiming the key has put its replica here.
                if (_replicas.TryGetValue(descriptor.PartitionKey, out existing)) return SameReplica(existing, descriptor);
                LearnSilos(descriptor.InitialVoters);
                await Catalog.AddAsync(descriptor, cancellationToken).ConfigureAwait(false);
                var runner = await OpenAsync(descriptor, cancellationToken).ConfigureAwait(false);
                RaftHostLog.ReplicaCreated(Logger, descriptor.PartitionId, LocalSilo, descriptor.StateMachine, string.Join(",", descriptor.InitialVoters),
                    !descriptor.InitialVoters.Contains(LocalSilo));
                if (campaign) runner.Campaign();
                return ReplicaReply.Ok(null);
            }
            finally
            {
                _creating.TryRemove(descriptor.PartitionKey, out _);
                mine.SetResult();
            }
        }
    }

    private static ReplicaReply SameReplica(ReplicaRunner existing, PartitionDescriptor descriptor) =>
        existing.Descriptor.StateMachine == descriptor.StateMachine && existing.Descriptor.PartitionId == descriptor.PartitionId
            ? ReplicaReply.Ok(null)
            : ReplicaReply.Of(ReplicaReplyStatus.Failed, $"partition '{descriptor.PartitionId}' exists with state machine '{existing.Descriptor.StateMachine}'");

    private async Task<ReplicaRunner> OpenAsync(PartitionDescriptor descriptor, CancellationToken cancellationToken)
    {
        var store = await Wal.OpenPartitionAsync(descriptor.PartitionKey, cancellationToken).ConfigureAwait(false);
        var runner = await ReplicaRunner.OpenAsync(this, descriptor, store, store.SaveConfStateAsync, cancellationToken).ConfigureAwait(false);
        _replicas[descriptor.PartitionKey] = runner;
        Metrics.Replicas.Add(1);
        runner.Start();
        return runner;
    }

    /// <summary>A replica applied its own removal: forget it and delete its log, snapshots and catalog entry.</summary>
    public async Task OnRemovedAsync(ReplicaRunner runner)
    {
        _replicas.TryRemove(runner.Key, out _);
        await ForgetAsync(runner).ConfigureAwait(false);
    }

    private async Task ForgetAsync(ReplicaRunner runner)
    {
        Metrics.Replicas.Add(-1);
        await Catalog.RemoveAsync(runner.Descriptor.PartitionId, CancellationToken.None).ConfigureAwait(false);
        await Wal.DeletePartitionAsync(runner.Key).ConfigureAwait(false);
        RaftHostLog.ReplicaRemoved(Logger, runner.Descriptor.PartitionId, LocalSilo);
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(Options.TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                // Enumerating the dictionary itself takes no lock and copies nothing (.Values would, on every tick).
                foreach (var (_, replica) in _replicas) replica.Tick();
                var ticks = Interlocked.Increment(ref _ticks);
                if (Options.EnableQuiescence && ticks % KeepAliveTicks == 0) KeepQuiescedPartitionsHonest();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    void IRaftMessageHandler.OnMessage(string fromPeer, ulong partitionId, Lux.Raft.Message message)
    {
        OnPeerHeard(fromPeer);
        if (partitionId == KeepAlivePartition) OnKeepAlive(fromPeer);
        else if (_replicas.TryGetValue(partitionId, out var replica)) replica.Step(message);
        else RaftHostLog.UnknownPartition(Logger, partitionId, fromPeer);
    }

    ValueTask IRaftMessageHandler.OnSnapshotAsync(string fromPeer, ulong partitionId, Lux.Raft.Message message, Stream data, CancellationToken cancellationToken) =>
        _replicas.TryGetValue(partitionId, out var replica)
            ? replica.ReceiveSnapshotAsync(fromPeer, message, data, cancellationToken)
            : ValueTask.FromException(new InvalidOperationException($"silo {LocalSilo} hosts no replica of partition {partitionId:x16}"));

    void IRaftMessageHandler.OnUnreachable(string peer, ulong partitionId, ulong replicaId)
    {
        if (_replicas.TryGetValue(partitionId, out var replica)) replica.ReportUnreachable(replicaId);
    }

    void IRaftMessageHandler.OnPeerUnreachable(string peer)
    {
        OnPeerLost(peer);
        Directory.Refresh(peer);
        WakeFollowersOf(peer);
    }
}
