namespace Lux.Raft.Sessions;

/// <summary>
/// Limits of the session table. They decide what every replica does with the log, so all replicas of a partition must
/// use the same values.
/// </summary>
public sealed record SessionOptions
{
    /// <summary>A session with no entry for this long (by the log's clock) expires. Default 1 hour; keep it far above clock skew between replicas.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Sessions kept at most; registering one more evicts the least recently active. Default 10,000.</summary>
    public int MaxSessions { get; init; } = 10_000;

    /// <summary>Unacknowledged results kept per session; past it the lowest sequence's result is forgotten. Default 1,024.</summary>
    public int MaxResultsPerSession { get; init; } = 1_024;

    /// <summary>Checks the values and returns the problems found (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (SessionTimeout <= TimeSpan.Zero) problems.Add($"{nameof(SessionTimeout)} must be positive.");
        if (MaxSessions < 1) problems.Add($"{nameof(MaxSessions)} must be at least 1.");
        if (MaxResultsPerSession < 1) problems.Add($"{nameof(MaxResultsPerSession)} must be at least 1.");
        return problems;
    }
}
