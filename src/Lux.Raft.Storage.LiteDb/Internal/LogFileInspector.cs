namespace Lux.Raft.Storage.LiteDb.Internal;

/// <summary>What <see cref="LogFileInspector"/> found at the end of LiteDB's log file.</summary>
/// <param name="OriginalLength">The file's length before the inspection.</param>
/// <param name="ValidLength">The end of the last committed transaction: what is kept.</param>
/// <param name="TornBytes">Bytes past the last whole page (a write cut short).</param>
/// <param name="HolePage">The first all-zero page followed by more data, or -1: pages that never reached the disk.</param>
/// <param name="UncommittedPages">Whole pages after the last commit page (a transaction that was not acknowledged).</param>
/// <param name="CommittedTransactions">Commit pages kept.</param>
internal readonly record struct LogTailReport(
    long OriginalLength, long ValidLength, long TornBytes, long HolePage, long UncommittedPages, long CommittedTransactions)
{
    public bool Damaged => TornBytes > 0 || HolePage >= 0;

    public bool CutBack => ValidLength < OriginalLength;
}

/// <summary>
/// Checks LiteDB's "-log" file before LiteDB opens it and cuts it back to the end of its last committed transaction.
/// LiteDB itself would round a torn length down silently, skip zero pages and still replay a transaction whose
/// commit page landed while an earlier page of it did not (possible when the power fails before our sync). Our group
/// commit writes one LiteDB transaction at a time, so the log is a plain sequence of transactions, each ending in the
/// page whose confirmed flag is set, and anything after the last such page was never acknowledged.
/// </summary>
internal static class LogFileInspector
{
    private const int IsConfirmedOffset = 18;

    public static LogTailReport Inspect(IWalFile log)
    {
        var length = log.Length;
        var page = new byte[WalFileStream.PageSize];
        long validLength = 0, hole = -1, committed = 0;
        var pages = length / WalFileStream.PageSize;
        var zeroRunStart = -1L;
        for (long i = 0; i < pages; i++)
        {
            var read = log.Read(i * WalFileStream.PageSize, page);
            if (read < page.Length) break;
            if (!page.AsSpan().ContainsAnyExcept((byte)0))
            {
                if (zeroRunStart < 0) zeroRunStart = i;
                continue;
            }
            if (zeroRunStart >= 0)
            {
                // A zero page before this one: some page of the tail never made it to disk.
                hole = zeroRunStart;
                break;
            }
            if (page[IsConfirmedOffset] != 0)
            {
                validLength = (i + 1) * WalFileStream.PageSize;
                committed++;
            }
        }
        var torn = length % WalFileStream.PageSize;
        var uncommitted = Math.Max(0, (length - torn - validLength) / WalFileStream.PageSize);
        var report = new LogTailReport(length, validLength, torn, hole, uncommitted, committed);
        if (report.CutBack)
        {
            log.SetLength(validLength);
            log.FlushToDisk();
        }
        return report;
    }
}
