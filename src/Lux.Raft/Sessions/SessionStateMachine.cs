using System.Text;
using Lux.Raft.StateMachine;

namespace Lux.Raft.Sessions;

/// <summary>
/// Exactly-once application of client commands (thesis §6.3): wraps a user <see cref="IStateMachine"/> and remembers,
/// per client session, the result of each command the client has not yet acknowledged. A command retried after a
/// timeout or a leader change is committed again, but is applied only the first time; the retry gets the original result.
/// <para>
/// Sessions are opened by a <see cref="SessionCommandKind.Register"/> entry (the session id is its log index), carry
/// sequence numbers, and expire by the log's own clock (the largest proposer timestamp seen), so the table is a
/// deterministic function of the log, identical on every replica and part of every snapshot.
/// </para>
/// </summary>
public sealed partial class SessionStateMachine : IStateMachine
{
    private readonly IStateMachine _inner;
    private readonly SessionOptions _options;
    private readonly long _timeoutMs;
    private readonly Dictionary<ulong, ClientSessionState> _sessions = [];
    private readonly SortedSet<(long LastActivityMs, ulong Id)> _byActivity = [];
    private long _clockMs;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public SessionStateMachine(IStateMachine inner, SessionOptions? options = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _options = options ?? new SessionOptions();
        var problems = _options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        _timeoutMs = (long)_options.SessionTimeout.TotalMilliseconds;
    }

    /// <summary>The wrapped state machine.</summary>
    public IStateMachine Inner => _inner;

    /// <summary>Open sessions.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>The log's clock: the largest proposer timestamp applied so far (Unix milliseconds).</summary>
    public long ClockMs => _clockMs;

    /// <summary>Whether <paramref name="sessionId"/> is open.</summary>
    public bool HasSession(ulong sessionId) => _sessions.ContainsKey(sessionId);

    /// <summary>Applies a session entry and returns the encoded <see cref="SessionResult"/>.</summary>
    public ReadOnlyMemory<byte> Apply(ulong index, ReadOnlyMemory<byte> command) => ApplyEntry(index, command).Encoded;

    /// <summary>Applies a session entry; <see cref="SessionOutcome.Applied"/> tells whether the user state machine ran.</summary>
    public SessionOutcome ApplyEntry(ulong index, ReadOnlyMemory<byte> data)
    {
        if (!SessionCommand.TryDecode(data, out var command))
            return new(Encode(SessionResultStatus.Malformed, default), false);
        if (command.TimestampMs > _clockMs) _clockMs = command.TimestampMs;
        ExpireSessions();

        switch (command.Kind)
        {
            case SessionCommandKind.Register:
                while (_sessions.Count >= _options.MaxSessions) Remove(_byActivity.Min.Id);
                var session = new ClientSessionState(index, _clockMs);
                _sessions.Add(index, session);
                _byActivity.Add((session.LastActivityMs, index));
                return new(SessionResult.Registered(index).Encode(), false);

            case SessionCommandKind.Unregister:
                Remove(command.SessionId);
                return new(Encode(SessionResultStatus.Ok, default), false);

            case SessionCommandKind.Unsessioned:
                return new(ApplyInner(index, command.Payload), true);

            default:
                return ApplyInSession(index, command);
        }
    }

    private SessionOutcome ApplyInSession(ulong index, SessionCommand command)
    {
        if (!_sessions.TryGetValue(command.SessionId, out var session))
            return new(Encode(SessionResultStatus.SessionExpired, default), false);

        Touch(session);
        session.Forget(command.LowestUnacknowledged);
        if (session.Results.TryGetValue(command.Sequence, out var cached)) return new(cached, false);
        if (command.Sequence < session.LowestUnacknowledged || command.Sequence <= session.ForgottenThrough)
            return new(Encode(SessionResultStatus.Stale, default), false);

        var result = ApplyInner(index, command.Payload);
        session.Results.Add(command.Sequence, result);
        while (session.Results.Count > _options.MaxResultsPerSession)
        {
            var lowest = session.Results.Keys.First();
            session.Results.Remove(lowest);
            session.ForgottenThrough = Math.Max(session.ForgottenThrough, lowest);
        }
        return new(result, true);
    }

    private byte[] ApplyInner(ulong index, ReadOnlyMemory<byte> payload)
    {
        try
        {
            return Encode(SessionResultStatus.Ok, _inner.Apply(index, payload));
        }
        catch (CommandRejectedException rejected)
        {
            return Encode(SessionResultStatus.Rejected, Encoding.UTF8.GetBytes(rejected.Message));
        }
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> Query(ReadOnlyMemory<byte> query) => _inner.Query(query);

    private void ExpireSessions()
    {
        while (_byActivity.Count > 0 && _clockMs - _byActivity.Min.LastActivityMs > _timeoutMs)
            Remove(_byActivity.Min.Id);
    }

    private void Touch(ClientSessionState session)
    {
        if (session.LastActivityMs == _clockMs) return;
        _byActivity.Remove((session.LastActivityMs, session.Id));
        session.LastActivityMs = _clockMs;
        _byActivity.Add((session.LastActivityMs, session.Id));
    }

    private void Remove(ulong sessionId)
    {
        if (_sessions.Remove(sessionId, out var session)) _byActivity.Remove((session.LastActivityMs, sessionId));
    }

    private static byte[] Encode(SessionResultStatus status, ReadOnlyMemory<byte> payload) => new SessionResult(status, payload).Encode();

    /// <summary>One client's session: the results it has not acknowledged yet.</summary>
    private sealed class ClientSessionState(ulong id, long lastActivityMs)
    {
        public ulong Id { get; } = id;

        public long LastActivityMs { get; set; } = lastActivityMs;

        /// <summary>Sequences below this have been acknowledged by the client.</summary>
        public ulong LowestUnacknowledged { get; set; } = 1;

        /// <summary>The highest sequence whose result was dropped because the table was full.</summary>
        public ulong ForgottenThrough { get; set; }

        public SortedDictionary<ulong, byte[]> Results { get; } = [];

        public void Forget(ulong lowestUnacknowledged)
        {
            if (lowestUnacknowledged <= LowestUnacknowledged) return;
            LowestUnacknowledged = lowestUnacknowledged;
            while (Results.Count > 0 && Results.Keys.First() < lowestUnacknowledged) Results.Remove(Results.Keys.First());
        }
    }
}

/// <summary>What applying a session entry produced.</summary>
/// <param name="Encoded">The encoded <see cref="SessionResult"/> for the proposer.</param>
/// <param name="Applied">Whether the user state machine ran the command (false for retries, expired sessions and control entries).</param>
public readonly record struct SessionOutcome(byte[] Encoded, bool Applied);
