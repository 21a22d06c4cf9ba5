namespace Lux.Raft.StateMachine;

/// <summary>
/// Thrown by <see cref="IStateMachine.Apply"/> to refuse a command deterministically: every replica refuses it the
/// same way, the state is left unchanged, and the proposer receives the message as the command's result.
/// </summary>
public sealed class CommandRejectedException : Exception
{
    /// <summary>Creates the exception with the reason given to the proposer.</summary>
    public CommandRejectedException(string message) : base(message) { }

    /// <summary>Creates the exception with the reason given to the proposer and the underlying cause.</summary>
    public CommandRejectedException(string message, Exception innerException) : base(message, innerException) { }
}
