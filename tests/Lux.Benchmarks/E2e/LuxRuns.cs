namespace Lux.Benchmarks.E2e;

/// <summary>
/// The frame of a scenario that measures Lux clusters of silo processes: the protocol option, a skip line when the
/// server is not built, then <c>runs</c> measurements, each in its own data directory (removed afterwards) with a
/// fresh cluster; a failed run prints an error line and the next one starts; Ctrl+C / SIGTERM stop everything cleanly.
/// </summary>
internal static class LuxRuns
{
    /// <summary>The <c>--protocol tcp|http</c> option (default tcp).</summary>
    /// <exception cref="FormatException">Another protocol was named.</exception>
    public static string Protocol(string[] args)
    {
        var protocol = (BenchOutput.Option(args, "protocol") ?? "tcp").ToLowerInvariant();
        return protocol is "tcp" or "http" ? protocol : throw new FormatException($"--protocol '{protocol}' is not tcp or http");
    }

    /// <summary>
    /// Runs <paramref name="measure"/> (run number from 1, its data directory, the interruption token) <paramref name="runs"/>
    /// times. Returns the process exit code: 0, or 130 when interrupted.
    /// </summary>
    public static async Task<int> RunAsync(string bench, string protocol, int runs, string[] args, Func<int, string, CancellationToken, Task> measure)
    {
        var system = "lux-" + protocol;
        if (LuxCluster.MissingPrerequisite() is { } missing)
        {
            BenchOutput.Line(bench, system, ("skipped", missing));
            return 0;
        }
        var root = Path.Combine(BenchOutput.Option(args, "dir") ?? Path.GetTempPath(), $"lux-{bench}-{Environment.ProcessId}");
        using var interrupted = new Interruption();
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                var directory = Path.Combine(root, $"run-{run}");
                try
                {
                    await measure(run, directory, interrupted.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException || !interrupted.IsInterrupted)
                {
                    Console.Error.WriteLine($"{bench}: run {run} failed: {e}");
                    BenchOutput.Line(bench, system, ("run", run), ("error", $"{e.GetType().Name}: {e.Message}"));
                }
                finally
                {
                    BenchOutput.DeleteDirectory(directory);
                }
            }
            return 0;
        }
        catch (OperationCanceledException) when (interrupted.IsInterrupted)
        {
            Console.Error.WriteLine($"{bench}: interrupted; cluster stopped, data removed");
            return 130;
        }
        finally
        {
            BenchOutput.DeleteDirectory(root);
        }
    }
}
