namespace Validate.Interop;

/// <summary>
/// CLOCK_MONOTONIC in nanoseconds: the clock valirq stamps its events with (ktime_get_ns), so user-side
/// and kernel-side times can be subtracted. Allocation-free; safe in measurement loops.
/// </summary>
public static class MonotonicClock
{
    public static long NowNs() => LoopCalls.MonotonicNs();

    /// <summary>
    /// Sleeps until the absolute CLOCK_MONOTONIC time <paramref name="deadlineNs"/> (TIMER_ABSTIME, as
    /// cyclictest does: no drift from computing relative sleeps). Retries on EINTR.
    /// </summary>
    public static void SleepUntil(long deadlineNs)
    {
        var ts = new Libc.Timespec { TvSec = deadlineNs / 1_000_000_000L, TvNsec = deadlineNs % 1_000_000_000L };
        while (Libc.ClockNanosleep(Libc.CLOCK_MONOTONIC, Libc.TIMER_ABSTIME, in ts, IntPtr.Zero) == Errno.EINTR)
        {
        }
    }
}
