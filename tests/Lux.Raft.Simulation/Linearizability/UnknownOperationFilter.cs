namespace Lux.Raft.Simulation.Linearizability;

/// <summary>
/// Drops unknown-outcome key-value operations that cannot matter, before the search. Each one left in is a choice the
/// search may have to try at every point of the history, so this is where histories with many timeouts stay cheap.
/// An unknown operation writing v can be dropped unless v is observed by something that may be linearized after it:
/// a known Get returning v or a known successful Cas expecting v that returns no earlier than its call, an unknown Cas
/// expecting v that is itself kept, or any known failed Cas returning no earlier than its call (a failure only needs
/// "some other value", which any write may supply). If v is observed by none of those, then in any linearization the
/// operations between the write and the next overwrite accept v only if they would accept the value before it too,
/// so the write can be taken out. Unknown Gets, and unknown Cas that would write back what they expect, never matter.
/// </summary>
internal static class UnknownOperationFilter
{
    /// <summary>Indices of the operations to keep: every known one, and the unknown ones that may matter.</summary>
    public static List<int> Relevant(IReadOnlyList<ModelOperation<KvInput, KvOutput>> ops)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string? value)
        {
            if (value is null)
            {
                return 0;
            }

            if (!ids.TryGetValue(value, out var id))
            {
                id = ids.Count + 1;
                ids.Add(value, id);
            }

            return id;
        }

        var observedUntil = new List<long>();
        void Observe(int value, long until)
        {
            while (observedUntil.Count <= value)
            {
                observedUntil.Add(long.MinValue);
            }

            observedUntil[value] = Math.Max(observedUntil[value], until);
        }

        long ObservedUntil(int value) => value < observedUntil.Count ? observedUntil[value] : long.MinValue;

        var failedCasUntil = long.MinValue;
        var candidates = new List<int>();
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (!op.HasOutput)
            {
                var writes = op.Input.Kind switch
                {
                    KvOpKind.Put => true,
                    KvOpKind.Cas => !string.Equals(op.Input.Expected, op.Input.Value, StringComparison.Ordinal),
                    _ => false,
                };
                if (writes)
                {
                    candidates.Add(i);
                }

                continue;
            }

            switch (op.Input.Kind)
            {
                case KvOpKind.Get:
                    Observe(Id(op.Output.Value), op.Return);
                    break;
                case KvOpKind.Cas when op.Output.Ok:
                    Observe(Id(op.Input.Expected), op.Return);
                    break;
                case KvOpKind.Cas:
                    failedCasUntil = Math.Max(failedCasUntil, op.Return);
                    break;
            }
        }

        var relevant = new bool[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            relevant[i] = ops[i].HasOutput;
        }

        // A kept unknown Cas makes its expected value observed at any time, which may keep more writes: iterate to the fixpoint.
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var i in candidates)
            {
                if (relevant[i])
                {
                    continue;
                }

                var op = ops[i];
                if (failedCasUntil < op.Call && ObservedUntil(Id(op.Input.Value)) < op.Call)
                {
                    continue;
                }

                relevant[i] = true;
                if (op.Input.Kind == KvOpKind.Cas)
                {
                    var expected = Id(op.Input.Expected);
                    if (ObservedUntil(expected) != long.MaxValue)
                    {
                        Observe(expected, long.MaxValue);
                        changed = true;
                    }
                }
            }
        }

        var kept = new List<int>(ops.Count);
        for (var i = 0; i < ops.Count; i++)
        {
            if (relevant[i])
            {
                kept.Add(i);
            }
        }

        return kept;
    }
}
