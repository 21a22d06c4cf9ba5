using System.Buffers.Binary;

namespace Lux.Raft.Membership;

/// <summary>What one step of a membership change does to one member.</summary>
public enum ConfChangeType : byte
{
    /// <summary>Adds a voter, or promotes a learner.</summary>
    AddVoter = 0,
    /// <summary>Adds a learner, or demotes a voter.</summary>
    AddLearner = 1,
    /// <summary>Removes a member.</summary>
    RemoveNode = 2,
}

/// <summary>How a change moves between configurations.</summary>
public enum ConfChangeTransition : byte
{
    /// <summary>A single voter change is applied directly; anything larger goes through a joint configuration that the leader leaves on its own.</summary>
    Auto = 0,
    /// <summary>Always through a joint configuration, left automatically once committed.</summary>
    JointImplicit = 1,
    /// <summary>Through a joint configuration that stays until an explicit leave (an empty change) is proposed.</summary>
    JointExplicit = 2,
}

/// <summary>One member's change.</summary>
public readonly record struct ConfChangeItem(ConfChangeType Type, ulong NodeId);

/// <summary>
/// A membership change, carried in the log as an entry of type <see cref="EntryType.ConfChange"/>. An empty change
/// leaves a joint configuration.
/// </summary>
public sealed record ConfChange(IReadOnlyList<ConfChangeItem> Changes, ConfChangeTransition Transition = ConfChangeTransition.Auto)
{
    private const byte FormatVersion = 1;

    /// <summary>The change that leaves a joint configuration.</summary>
    public static ConfChange LeaveJoint { get; } = new([]);

    /// <summary>Whether this is the leave-joint change.</summary>
    public bool IsLeaveJoint => Changes.Count == 0;

    /// <summary>Whether applying it needs a joint configuration (more than one voter changes, or one was asked for).</summary>
    public bool NeedsJoint(IReadOnlyCollection<ulong> voters) => Transition != ConfChangeTransition.Auto || VoterDelta(voters) > 1;

    private int VoterDelta(IReadOnlyCollection<ulong> voters)
    {
        var after = new HashSet<ulong>(voters);
        foreach (var c in Changes)
        {
            if (c.Type == ConfChangeType.AddVoter) after.Add(c.NodeId);
            else after.Remove(c.NodeId);
        }
        after.SymmetricExceptWith(voters);
        return after.Count;
    }

    /// <summary>Encodes the change as entry data.</summary>
    public byte[] Encode()
    {
        var buffer = new byte[3 + Changes.Count * 9];
        buffer[0] = FormatVersion;
        buffer[1] = (byte)Transition;
        buffer[2] = checked((byte)Changes.Count);
        for (var i = 0; i < Changes.Count; i++)
        {
            buffer[3 + i * 9] = (byte)Changes[i].Type;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(4 + i * 9), Changes[i].NodeId);
        }
        return buffer;
    }

    /// <summary>Decodes entry data; false for anything that is not a well-formed change.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out ConfChange change)
    {
        change = LeaveJoint;
        if (data.Length < 3 || data[0] != FormatVersion || data[1] > (byte)ConfChangeTransition.JointExplicit) return false;
        var count = data[2];
        if (data.Length != 3 + count * 9) return false;
        var items = new ConfChangeItem[count];
        for (var i = 0; i < count; i++)
        {
            var type = data[3 + i * 9];
            var id = BinaryPrimitives.ReadUInt64LittleEndian(data[(4 + i * 9)..]);
            if (type > (byte)ConfChangeType.RemoveNode || id == RaftConstants.None) return false;
            items[i] = new ConfChangeItem((ConfChangeType)type, id);
        }
        change = new ConfChange(items, (ConfChangeTransition)data[1]);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsLeaveJoint ? "leave-joint" : string.Join(" ", Changes.Select(c => $"{c.Type}({c.NodeId})")) + (Transition == ConfChangeTransition.Auto ? "" : $" [{Transition}]");
}
