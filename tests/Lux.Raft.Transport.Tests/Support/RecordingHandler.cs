using System.Collections.Concurrent;

namespace Lux.Raft.Transport.Tests.Support;

/// <summary>An <see cref="IRaftMessageHandler"/> that records everything, for assertions.</summary>
public sealed class RecordingHandler : IRaftMessageHandler
{
    private long _count;

    public ConcurrentQueue<(string From, ulong PartitionId, Message Message)> Messages { get; } = new();
    public ConcurrentQueue<(string Peer, ulong PartitionId, ulong ReplicaId)> Unreachable { get; } = new();
    public ConcurrentQueue<string> PeersUnreachable { get; } = new();

    /// <summary>Runs on each snapshot; the default reads it all and records its length.</summary>
    public Func<string, ulong, Message, Stream, CancellationToken, Task>? SnapshotHandler { get; set; }

    public ConcurrentQueue<(string From, ulong PartitionId, Message Message, long Length)> Snapshots { get; } = new();

    /// <summary>Called on the I/O loop before the message is recorded (to block it, or count).</summary>
    public Action<Message>? OnEach { get; set; }

    public long Count => Interlocked.Read(ref _count);

    public bool KeepMessages { get; set; } = true;

    public void OnMessage(string fromPeer, ulong partitionId, Message message)
    {
        OnEach?.Invoke(message);
        if (KeepMessages) Messages.Enqueue((fromPeer, partitionId, message));
        Interlocked.Increment(ref _count);
        Pulse.Fire();
    }

    public async ValueTask OnSnapshotAsync(string fromPeer, ulong partitionId, Message message, Stream data, CancellationToken cancellationToken)
    {
        if (SnapshotHandler is not null)
        {
            await SnapshotHandler(fromPeer, partitionId, message, data, cancellationToken);
        }
        else
        {
            var buffer = new byte[64 * 1024];
            long length = 0;
            int n;
            while ((n = await data.ReadAsync(buffer, cancellationToken)) > 0) length += n;
            Snapshots.Enqueue((fromPeer, partitionId, message, length));
        }
        Pulse.Fire();
    }

    public void OnUnreachable(string peer, ulong partitionId, ulong replicaId)
    {
        Unreachable.Enqueue((peer, partitionId, replicaId));
        Pulse.Fire();
    }

    public void OnPeerUnreachable(string peer)
    {
        PeersUnreachable.Enqueue(peer);
        Pulse.Fire();
    }
}
