using Validate.Interop;
using Validate.Recording;

namespace Validate.Backends;

/// <summary>
/// cyclictest's measurement: sleep to an absolute CLOCK_MONOTONIC deadline (TIMER_ABSTIME), read the
/// clock on wake-up, record how late it was. Unlike cyclictest, a wake-up later than a whole period
/// does not silently skip the periods it overran: they are counted in <see cref="BackendCounters.Missed"/>.
/// Runs on any Linux machine, the host without the lab included.
/// </summary>
public sealed class TimerBackend(long periodNs) : LatencyBackend(periodNs)
{
    private static readonly string[] StageNames = ["total"];
    private long _next;

    public override IReadOnlyList<string> Stages => StageNames;

    public override void Open()
    {
        Facts["clock"] = "CLOCK_MONOTONIC, clock_nanosleep(TIMER_ABSTIME)";
        Facts["periodNs"] = PeriodNs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ResetPacing();
    }

    public override void ResetPacing() => _next = MonotonicClock.NowNs() + PeriodNs;

    public override Outcome MeasureOne(ref Sample sample)
    {
        MonotonicClock.SleepUntil(_next);
        var now = MonotonicClock.NowNs();
        var late = now - _next;
        sample.TimestampNs = _next;
        sample.Stages[0] = late;
        Counters.Stimuli++;
        Counters.Events++;
        _next += PeriodNs;
        if (late >= PeriodNs)
        {
            // Periods whose deadline passed while we were late: counted, then skipped.
            var missed = late / PeriodNs;
            Counters.Missed += missed;
            Counters.Stimuli += missed;
            _next += missed * PeriodNs;
        }
        return Outcome.Measured;
    }
}
