using System.Runtime.InteropServices;

namespace Lux.Benchmarks.E2e;

/// <summary>
/// Ctrl+C and SIGTERM cancel <see cref="Token"/> instead of ending the process, so a scenario ends through the same
/// path as a normal end: clusters stopped, child processes gone, data directories removed.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource interrupted = new();
    private readonly PosixSignalRegistration onInterrupt;
    private readonly PosixSignalRegistration onTerminate;

    public Interruption()
    {
        onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
    }

    public CancellationToken Token => interrupted.Token;

    public bool IsInterrupted => interrupted.IsCancellationRequested;

    private void Interrupt(PosixSignalContext context)
    {
        context.Cancel = true;
        interrupted.Cancel();
    }

    public void Dispose()
    {
        onInterrupt.Dispose();
        onTerminate.Dispose();
        interrupted.Dispose();
    }
}
