namespace Lux.Orleans.Replication;

/// <summary>
/// Leader news for the routers on this silo: every leader change the replica sees is published as a new
/// <see cref="LeaderView"/> (see <see cref="Grains.RaftPartitionGrain"/>), which lets a router drop an attempt at a
/// leader that has been replaced instead of waiting for the attempt's time limit.
/// </summary>
internal sealed partial class ReplicaRunner
{
    private volatile LeaderView _leaderView = new(null, 0);

    /// <summary>The replica's current knowledge of the leader (read from any thread).</summary>
    public LeaderView Leadership => _leaderView;

    /// <summary>Called on the replica's loop whenever the leader it knows changes.</summary>
    private void PublishLeader(ulong leaderId, ulong term)
    {
        var previous = _leaderView;
        var next = new LeaderView(_host.NameOf(leaderId), term);
        _leaderView = next;
        previous.Supersede(next);
    }
}
