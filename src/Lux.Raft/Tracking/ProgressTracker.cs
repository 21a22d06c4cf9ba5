namespace Lux.Raft.Tracking;

using Lux.Raft.Quorum;

/// <summary>The leader's bookkeeping of the membership: every member's progress, the voters, and the votes of an election.</summary>
public sealed class ProgressTracker : IAckedIndexer
{
    private readonly Dictionary<ulong, Progress> _progress = [];
    private readonly Dictionary<ulong, bool> _votes = [];
    private readonly int _maxInflight;
    private readonly long _maxInflightBytes;
    private ulong[] _memberIds = [];

    /// <summary>Creates a tracker with an empty membership.</summary>
    public ProgressTracker(int maxInflight, long maxInflightBytes)
    {
        _maxInflight = maxInflight;
        _maxInflightBytes = maxInflightBytes;
        Voters = new JointConfig(MajorityConfig.Empty, MajorityConfig.Empty);
    }

    /// <summary>Who votes.</summary>
    public JointConfig Voters { get; private set; }

    /// <summary>Learners of the current configuration.</summary>
    public IReadOnlySet<ulong> Learners { get; private set; } = new HashSet<ulong>();

    /// <summary>Outgoing voters that become learners when the joint configuration is left.</summary>
    public IReadOnlySet<ulong> LearnersNext { get; private set; } = new HashSet<ulong>();

    /// <summary>Whether the joint configuration is left automatically.</summary>
    public bool AutoLeave { get; private set; }

    /// <summary>Every member (voters and learners), ascending.</summary>
    public IReadOnlyList<ulong> MemberIds => _memberIds;

    /// <summary>The progress of every member.</summary>
    public IReadOnlyDictionary<ulong, Progress> Progress => _progress;

    /// <summary>The progress of <paramref name="id"/>, or null if not a member.</summary>
    public Progress? Get(ulong id) => _progress.GetValueOrDefault(id);

    /// <summary>Whether <paramref name="id"/> is a voter in either half of the configuration.</summary>
    public bool IsVoter(ulong id) => Voters.Contains(id);

    /// <summary>The configuration as a <see cref="ConfState"/>.</summary>
    public ConfState ConfState => new()
    {
        Voters = Voters.Incoming.Ids.ToArray(),
        VotersOutgoing = Voters.Outgoing.Ids.ToArray(),
        Learners = Learners.Order().ToArray(),
        LearnersNext = LearnersNext.Order().ToArray(),
        AutoLeave = AutoLeave,
    };

    /// <summary>
    /// Replaces the configuration. Members that stay keep their progress; new members start probing at
    /// <paramref name="nextIndex"/>.
    /// </summary>
    public void Apply(ConfState conf, ulong nextIndex)
    {
        Voters = new JointConfig(new MajorityConfig(conf.Voters), new MajorityConfig(conf.VotersOutgoing));
        Learners = conf.Learners.ToHashSet();
        LearnersNext = conf.LearnersNext.ToHashSet();
        AutoLeave = conf.AutoLeave;
        var members = Voters.Ids.Union(Learners).Union(LearnersNext).Order().ToArray();
        foreach (var gone in _progress.Keys.Except(members).ToList()) _progress.Remove(gone);
        foreach (var id in members)
        {
            var learner = !Voters.Contains(id);
            if (_progress.TryGetValue(id, out var pr))
            {
                pr.IsLearner = learner;
            }
            else
            {
                // Start as recently active so that a freshly added member does not make the leader step down at once.
                _progress[id] = new Progress(nextIndex, _maxInflight, _maxInflightBytes, learner) { RecentActive = true };
            }
        }
        _memberIds = members;
    }

    /// <summary>Resets every member's progress for a new leader whose log ends at <paramref name="lastIndex"/>.</summary>
    public void ResetProgress(ulong lastIndex)
    {
        foreach (var id in _memberIds)
        {
            _progress[id] = new Progress(lastIndex + 1, _maxInflight, _maxInflightBytes, _progress[id].IsLearner);
        }
    }

    /// <inheritdoc />
    public ulong AckedIndex(ulong id) => _progress.TryGetValue(id, out var pr) ? pr.Match : 0;

    /// <summary>The largest index replicated to a quorum (Raft §5.3).</summary>
    public ulong Committed() => Voters.CommittedIndex(this);

    /// <summary>Whether a quorum of voters was recently active (check-quorum, thesis §6.2). <paramref name="self"/> always counts.</summary>
    public bool QuorumActive(ulong self) =>
        Voters.Vote(id => id == self || (_progress.TryGetValue(id, out var pr) && pr.RecentActive)) == VoteResult.Won;

    /// <summary>Clears the activity flags for the next check-quorum period, except <paramref name="self"/>'s.</summary>
    public void ResetRecentActive(ulong self)
    {
        foreach (var (id, pr) in _progress) pr.RecentActive = id == self;
    }

    /// <summary>Forgets the votes of the last election.</summary>
    public void ResetVotes() => _votes.Clear();

    /// <summary>Records <paramref name="id"/>'s vote; only the first vote of each member counts.</summary>
    public void RecordVote(ulong id, bool granted) => _votes.TryAdd(id, granted);

    /// <summary>Counts granted and rejected votes and the election's outcome.</summary>
    public (int Granted, int Rejected, VoteResult Result) TallyVotes()
    {
        int granted = 0, rejected = 0;
        foreach (var id in Voters.Ids)
        {
            if (!_votes.TryGetValue(id, out var v)) continue;
            if (v) granted++; else rejected++;
        }
        var result = Voters.Vote(id => _votes.TryGetValue(id, out var g) ? g : null);
        return (granted, rejected, result);
    }
}
