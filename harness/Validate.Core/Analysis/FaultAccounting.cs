using Validate.Plans;

namespace Validate.Analysis;

/// <summary>
/// One line a driver wrote on the channel (docs/driver-channel.md), with its CLOCK_MONOTONIC times: what the accounting consumes.
/// <paramref name="Unconfirmed"/>: an <c>irq-revoked</c> line, a status read before a revocation whose re-arm then failed
/// (EPERM): the acknowledgement may have gone to the scratch page that replaced the card's registers, not to the card.
/// </summary>
public readonly record struct DriverReport(int Instance, uint Status, long HardirqNs, long ReadNs, long DoneNs, bool Unconfirmed = false);

/// <summary>
/// A span of time in which a raise may go unhandled for a known reason. Raises in
/// [<see cref="StartNs"/>, <see cref="EndNs"/>] were in flight or made while the driver was dying: its
/// quiesce program cleared them. Raises in [<see cref="StartNs"/>, <see cref="CoalesceEndNs"/>] may
/// have been coalesced at the card (raised again, same tag, before any driver served the first).
/// </summary>
public readonly record struct ExplainedWindow(long StartNs, long EndNs, long CoalesceEndNs);

/// <summary>What became of every raise: see <see cref="FaultAccounting.Compute"/>.</summary>
public sealed record AccountingResult(
    long Raised, long Handled, long CoalescedExplained, long Late, long Duplicated,
    long LostExplained, long LostUnexplained, long EmptyReports,
    IReadOnlyList<long> UnexplainedNs, IReadOnlyList<long> DuplicatedNs, long[] HandledLatencyNs, long[] HandledAtNs, long ServedAgain = 0)
{
    public long Unexplained => LostUnexplained;
}

/// <summary>
/// Interrupt accounting for the fault suites, after the run (never during it). Raise i carried tag
/// i % n of the plan's <see cref="TagScheme"/> (a bit the card's status shows back; with no tags, one tag
/// for all); a driver's report says which bits it acknowledged and when it read them. Walking
/// raises and reports in time order, a report's bit consumes the raises of that tag waiting for it: the
/// newest is handled, any older ones were coalesced by the card (one status bit, several raises) or
/// cleared by a dying driver's quiesce. A bit
/// reported with no raise waiting is a duplicate (handled twice, or never raised), except once after an
/// unconfirmed report of that bit (<see cref="DriverReport.Unconfirmed"/>: read, then revoked before its
/// acknowledgement surely reached the card): the next opener finding the bit still set serves the same raise
/// again, counted in <see cref="AccountingResult.ServedAgain"/>. A raise left waiting
/// at the end is lost: explained when it falls in an <see cref="ExplainedWindow"/> (the dying driver's
/// quiesce cleared it), unexplained otherwise. A coalesced raise was served, only late: its status bit
/// stayed set until a driver read it. In a fault window that is expected; outside one it is counted as
/// late (an interrupt signal that did not get through on its own, rescued by a later one: a latency
/// problem, which the raise-to-service latencies show too).
/// </summary>
public static class FaultAccounting
{
    /// <summary>The edu card's scheme and the default: raise i sets status bit i % 32.</summary>
    public static readonly TagScheme Bits32 = TagScheme.Rotate(0xffffffff, 0, 0);

    public static AccountingResult Compute(ReadOnlySpan<long> raises, IReadOnlyList<DriverReport> reports, IReadOnlyList<ExplainedWindow> windows) =>
        Compute(raises, reports, windows, Bits32);

    public static AccountingResult Compute(ReadOnlySpan<long> raises, IReadOnlyList<DriverReport> reports, IReadOnlyList<ExplainedWindow> windows, TagScheme scheme)
    {
        var tags = scheme.Count;
        var queues = new Queue<int>[tags];
        for (int i = 0; i < queues.Length; i++) queues[i] = new Queue<int>();
        var ordered = reports.OrderBy(r => r.ReadNs).ToList();
        long handled = 0, coalescedOk = 0, late = 0, duplicated = 0, empty = 0, servedAgain = 0;
        // Per tag: served by an unconfirmed report, the last report with any tag in it: the next opener's first
        // report may find it again (the next report; after it, a report of the tag with no raise is a duplicate again).
        var unconfirmed = new bool[tags];
        var unexplained = new List<long>();
        var duplicatedAt = new List<long>();
        var latency = new List<long>();
        var handledAt = new List<long>();
        int ri = 0;
        foreach (var rep in ordered)
        {
            // Every raise made before the driver read the status could be in it.
            while (ri < raises.Length && raises[ri] < rep.ReadNs)
            {
                queues[ri % tags].Enqueue(ri);
                ri++;
            }
            var inReport = scheme.TagsIn(rep.Status);
            if (inReport == 0) { empty++; continue; }
            for (int tag = 0; tag < tags; tag++)
            {
                if ((inReport & (1ul << tag)) == 0) continue;
                var q = queues[tag];
                if (q.Count == 0)
                {
                    if (unconfirmed[tag])
                    {
                        unconfirmed[tag] = false;
                        servedAgain++;
                        continue;
                    }
                    duplicated++;
                    duplicatedAt.Add(rep.ReadNs);
                    continue;
                }
                // The newest raise of the tag is the one served; the older ones waiting were coalesced with
                // it at the card, or cleared by a dying driver's quiesce before it (a raise cleared in a
                // fault stays queued until its tag is served again): explained when they fall in a window.
                while (q.Count > 1)
                {
                    var t = raises[q.Dequeue()];
                    if (In(t, windows, coalesce: true)) coalescedOk++;
                    else late++;
                }
                var served = q.Dequeue();
                if (rep.Unconfirmed) unconfirmed[tag] = true;
                handled++;
                latency.Add(rep.ReadNs - raises[served]);
                handledAt.Add(raises[served]);
            }
            if (!rep.Unconfirmed) Array.Clear(unconfirmed);
        }
        long lostOk = 0, lostBad = 0;
        for (; ri < raises.Length; ri++) queues[ri % tags].Enqueue(ri);
        foreach (var q in queues)
        {
            foreach (var i in q)
            {
                if (In(raises[i], windows, coalesce: false)) lostOk++;
                else { lostBad++; unexplained.Add(raises[i]); }
            }
        }
        unexplained.Sort();
        return new AccountingResult(raises.Length, handled, coalescedOk, late, duplicated, lostOk, lostBad, empty,
            unexplained, duplicatedAt, [.. latency], [.. handledAt], servedAgain);
    }

    private static bool In(long t, IReadOnlyList<ExplainedWindow> windows, bool coalesce)
    {
        foreach (var w in windows)
            if (t >= w.StartNs && t <= (coalesce ? Math.Max(w.EndNs, w.CoalesceEndNs) : w.EndNs)) return true;
        return false;
    }
}
