namespace Lux.Orleans.Replication;

/// <summary>
/// What one replica knows of its partition's leader at one moment: the leader's silo (null while it knows none) and
/// the term. A view never changes; when the replica learns something new it publishes the next view and completes
/// <see cref="Changed"/>, so a router on the same silo hears of a new leader the moment its local replica does,
/// without asking any other silo.
/// </summary>
internal sealed class LeaderView
{
    private readonly TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LeaderView(string? leader, ulong term)
    {
        Leader = leader;
        Term = term;
    }

    /// <summary>The leader's silo, or null (electing, or not heard from one yet).</summary>
    public string? Leader { get; }

    /// <summary>The replica's term when it published this view.</summary>
    public ulong Term { get; }

    /// <summary>Completes when the next view is published; <see cref="Next"/> is set by then.</summary>
    public Task Changed => _changed.Task;

    /// <summary>The view that replaced this one, or null while this one is current.</summary>
    public LeaderView? Next { get; private set; }

    /// <summary>Replaces this view with <paramref name="next"/> and wakes whoever waits on it.</summary>
    public void Supersede(LeaderView next)
    {
        Next = next;
        _changed.TrySetResult();
    }

    /// <summary>The newest view reachable from this one (this one when nothing replaced it).</summary>
    public LeaderView Latest
    {
        get
        {
            var view = this;
            while (view.Next is { } next) view = next;
            return view;
        }
    }
}
