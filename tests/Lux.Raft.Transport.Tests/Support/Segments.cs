using System.Buffers;

namespace Lux.Raft.Transport.Tests.Support;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> split into several segments, as pipes deliver data.</summary>
public static class Segments
{
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var points = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().ToList();
        if (points.Count == 0) return new ReadOnlySequence<byte>(data);
        var starts = new List<int> { 0 };
        starts.AddRange(points);
        Segment? first = null, last = null;
        for (var i = 0; i < starts.Count; i++)
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : data.Length;
            var memory = data.AsMemory(starts[i], end - starts[i]).ToArray();
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
