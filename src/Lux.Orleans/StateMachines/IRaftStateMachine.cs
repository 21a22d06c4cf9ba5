namespace Lux.Orleans.StateMachines;

/// <summary>
/// A replicated state machine over your own types: every replica of a partition applies the same committed commands
/// in the same order. Register an implementation by name with
/// <see cref="Hosting.LuxSiloBuilderExtensions.AddRaftStateMachine{TCommand, TQuery, TResult}"/>; a partition names it
/// when it is created.
/// <para>
/// <see cref="Apply"/> must be deterministic: its effect and result may depend only on the state and the command (no
/// clocks, randomness or I/O whose outcome can differ between replicas). Throw
/// <see cref="Lux.Raft.StateMachine.CommandRejectedException"/> to refuse a command without changing the state: every
/// replica refuses it the same way and the proposer gets a <see cref="RaftCommandRejectedException"/>. Any other exception
/// stops the replica, because its state can no longer be trusted. One instance serves one replica; its members are
/// never called concurrently.
/// </para>
/// </summary>
/// <typeparam name="TCommand">What proposals carry (a base type if there are several kinds).</typeparam>
/// <typeparam name="TQuery">What reads carry.</typeparam>
/// <typeparam name="TResult">What commands and queries return.</typeparam>
public interface IRaftStateMachine<in TCommand, in TQuery, out TResult>
{
    /// <summary>Applies the committed command at log index <paramref name="index"/> and returns its result.</summary>
    TResult Apply(ulong index, TCommand command);

    /// <summary>Answers a read against the current state without changing it.</summary>
    TResult Query(TQuery query);

    /// <summary>Writes the whole state, as of the last applied command, to <paramref name="destination"/>.</summary>
    ValueTask WriteSnapshotAsync(Stream destination, CancellationToken cancellationToken);

    /// <summary>Replaces the whole state with what <paramref name="source"/> holds (written by <see cref="WriteSnapshotAsync"/>).</summary>
    ValueTask ReadSnapshotAsync(Stream source, CancellationToken cancellationToken);
}
