namespace Lux.Raft.Quorum;

/// <summary>Looks up the highest log index a voter is known to hold durably.</summary>
public interface IAckedIndexer
{
    /// <summary>The acknowledged (match) index of <paramref name="id"/>, or 0 if unknown.</summary>
    ulong AckedIndex(ulong id);
}
