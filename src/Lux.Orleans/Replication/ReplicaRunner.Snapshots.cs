using Lux.Orleans.Diagnostics;
using Lux.Raft;
using Lux.Raft.Storage;

namespace Lux.Orleans.Replication;

internal sealed partial class ReplicaRunner
{
    /// <summary>
    /// Writes the state machine (session table included) to a snapshot file as of the applied index, records it in the
    /// log store, compacts the log up to the policy's retained entries below it, and drops older files. Runs on the loop between two Readies, so
    /// nothing is applied meanwhile.
    /// </summary>
    private async Task TakeSnapshotAsync()
    {
        if (_store.TryGetTerm(_applied, out var term) != StorageStatus.Ok) return;
        var metadata = new SnapshotMetadata(_applied, term, _conf);
        long bytes = 0;
        await _host.Snapshots.WriteAsync(Key, metadata, async (stream, ct) =>
        {
            await _machine.SnapshotAsync(stream, ct).ConfigureAwait(false);
            bytes = stream.Length;
        }, _stop.Token).ConfigureAwait(false);
        await _store.RecordSnapshotAsync(metadata, _stop.Token).ConfigureAwait(false);
        // The policy's retained entries stay below the snapshot: a follower only that far behind catches up from the
        // log instead of being sent the whole state machine.
        var compactIndex = _host.Options.SnapshotPolicy.CompactIndex(metadata.Index);
        if (compactIndex >= _store.FirstIndex) await _store.CompactAsync(compactIndex, _stop.Token).ConfigureAwait(false);
        _host.Snapshots.DeleteOlderThan(Key, metadata.Index);
        _snapshotIndex = metadata.Index;
        _bytesSinceSnapshot = 0;
        _host.Metrics.Snapshots.Add(1);
        RaftHostLog.SnapshotTaken(_host.Logger, Descriptor.PartitionId, metadata.Index, term, bytes);
    }

    /// <summary>
    /// A snapshot arrives from the leader: its bytes go to a snapshot file first (as they arrive, with the sender held
    /// back by the channel's flow control); then the message is handed to the node, whose Ready asks to install it.
    /// </summary>
    public async ValueTask ReceiveSnapshotAsync(string fromPeer, Message message, Stream data, CancellationToken cancellationToken)
    {
        var metadata = message.Snapshot ?? throw new InvalidDataException("a snapshot message without metadata");
        await _host.Snapshots.WriteAsync(Key, metadata, (stream, ct) => new ValueTask(data.CopyToAsync(stream, ct)), cancellationToken)
            .ConfigureAwait(false);
        if (!Post(() => _node.Step(message))) throw new InvalidOperationException("the replica is stopping");
        RaftHostLog.SnapshotInstalled(_host.Logger, Descriptor.PartitionId, metadata.Index, metadata.Term, fromPeer);
    }

    private async Task InstallSnapshotAsync(SnapshotMetadata metadata)
    {
        await using (var content = _host.Snapshots.OpenRead(Key, metadata.Index, metadata.Term)
            ?? throw new InvalidDataException($"snapshot {metadata.Index}/{metadata.Term} of partition {Descriptor.PartitionId} was not received"))
        {
            await _machine.RestoreAsync(content, _stop.Token).ConfigureAwait(false);
        }
        await _store.ApplySnapshotAsync(metadata, _stop.Token).ConfigureAwait(false);
        _host.Snapshots.DeleteOlderThan(Key, metadata.Index);
        _conf = metadata.ConfState;
        _applied = metadata.Index;
        _snapshotIndex = metadata.Index;
        _bytesSinceSnapshot = 0;
        _host.Metrics.Snapshots.Add(1);
    }

    private void SendSnapshot(Message message)
    {
        var peer = _host.NameOf(message.To);
        var metadata = message.Snapshot;
        if (peer is null || metadata is null)
        {
            _node.ReportSnapshot(message.To, false);
            return;
        }
        _ = Task.Run(async () =>
        {
            var sent = false;
            try
            {
                await using var content = _host.Snapshots.OpenRead(Key, metadata.Index, metadata.Term)
                    ?? throw new FileNotFoundException($"snapshot {metadata.Index}/{metadata.Term} is gone");
                await _host.Transport.SendSnapshotAsync(peer, Key, message, content, _stop.Token).ConfigureAwait(false);
                sent = true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                RaftHostLog.SnapshotSendFailed(_host.Logger, Descriptor.PartitionId, metadata.Index, peer, e.Message);
            }
            Post(() => _node.ReportSnapshot(message.To, sent));
        });
    }
}
