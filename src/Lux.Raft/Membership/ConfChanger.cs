namespace Lux.Raft.Membership;

/// <summary>
/// Computes the configuration that results from a change (thesis §4.3): a simple change of at most one voter, entering
/// a joint configuration (old and new voters must both agree), or leaving it. Returns an error text for a change that
/// is not allowed instead of throwing, so a bad entry cannot crash a replica.
/// </summary>
public static class ConfChanger
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="current"/>.</summary>
    public static bool TryApply(ConfState current, ConfChange change, out ConfState next, out string? error)
    {
        next = current;
        var joint = current.VotersOutgoing.Count > 0;
        if (change.IsLeaveJoint) return TryLeaveJoint(current, out next, out error);
        if (joint)
        {
            error = "a joint configuration must be left before another change";
            return false;
        }
        if (change.NeedsJoint(current.Voters))
        {
            return TryEnterJoint(current, change, autoLeave: change.Transition != ConfChangeTransition.JointExplicit, out next, out error);
        }
        return TrySimple(current, change, out next, out error);
    }

    private static bool TrySimple(ConfState current, ConfChange change, out ConfState next, out string? error)
    {
        var voters = current.Voters.ToHashSet();
        var learners = current.Learners.ToHashSet();
        Apply(change, voters, learners, [], outgoing: []);
        next = current with { Voters = voters.Order().ToArray(), Learners = learners.Order().ToArray() };
        return Validate(next, out error);
    }

    private static bool TryEnterJoint(ConfState current, ConfChange change, bool autoLeave, out ConfState next, out string? error)
    {
        next = current;
        if (current.Voters.Count == 0)
        {
            error = "cannot enter a joint configuration from an empty one";
            return false;
        }
        var outgoing = current.Voters.ToHashSet();
        var voters = current.Voters.ToHashSet();
        var learners = current.Learners.ToHashSet();
        var learnersNext = new HashSet<ulong>();
        Apply(change, voters, learners, learnersNext, outgoing);
        next = new ConfState
        {
            Voters = voters.Order().ToArray(),
            VotersOutgoing = outgoing.Order().ToArray(),
            Learners = learners.Order().ToArray(),
            LearnersNext = learnersNext.Order().ToArray(),
            AutoLeave = autoLeave,
        };
        return Validate(next, out error);
    }

    private static bool TryLeaveJoint(ConfState current, out ConfState next, out string? error)
    {
        next = current;
        if (current.VotersOutgoing.Count == 0)
        {
            error = "not in a joint configuration";
            return false;
        }
        var learners = current.Learners.Union(current.LearnersNext).Order().ToArray();
        next = new ConfState { Voters = current.Voters.ToArray(), Learners = learners };
        return Validate(next, out error);
    }

    private static void Apply(ConfChange change, HashSet<ulong> voters, HashSet<ulong> learners, HashSet<ulong> learnersNext, HashSet<ulong> outgoing)
    {
        foreach (var c in change.Changes)
        {
            switch (c.Type)
            {
                case ConfChangeType.AddVoter:
                    learners.Remove(c.NodeId);
                    learnersNext.Remove(c.NodeId);
                    voters.Add(c.NodeId);
                    break;
                case ConfChangeType.AddLearner:
                    voters.Remove(c.NodeId);
                    learners.Remove(c.NodeId);
                    learnersNext.Remove(c.NodeId);
                    // A voter of the outgoing half keeps voting there until the joint state is left; it becomes a learner then.
                    if (outgoing.Contains(c.NodeId)) learnersNext.Add(c.NodeId);
                    else learners.Add(c.NodeId);
                    break;
                case ConfChangeType.RemoveNode:
                    voters.Remove(c.NodeId);
                    learners.Remove(c.NodeId);
                    learnersNext.Remove(c.NodeId);
                    break;
            }
        }
    }

    private static bool Validate(ConfState conf, out string? error)
    {
        error = null;
        if (conf.Voters.Count == 0) error = "the change removes every voter";
        else if (conf.Learners.Any(id => conf.Voters.Contains(id) || conf.VotersOutgoing.Contains(id))) error = "a member cannot be both voter and learner";
        else if (conf.LearnersNext.Any(id => !conf.VotersOutgoing.Contains(id))) error = "a future learner must be an outgoing voter";
        else if (conf.VotersOutgoing.Count == 0 && (conf.LearnersNext.Count > 0 || conf.AutoLeave)) error = "only a joint configuration has future learners or auto-leave";
        return error is null;
    }
}
