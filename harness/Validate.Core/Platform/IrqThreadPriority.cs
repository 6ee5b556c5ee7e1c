using System.Globalization;
using Validate.Interop;
using Validate.Realtime;

namespace Validate.Platform;

/// <summary>
/// A latency suite's card IRQ threads at the plan's SCHED_FIFO priority (plan key <c>irqPriority</c>) for the
/// window, and back as found after it. Why it matters on PREEMPT_RT: an IRQ thread below the measuring thread
/// (the kernel's 50 against the harness's 80) wakes the reader inside wake_up, with the wait queue's lock (a
/// sleeping lock there) held; the reader preempts it at once, blocks on that lock, and runs again only after the
/// IRQ thread, boosted, has let it go: two extra switches per interrupt (tests/Benchmarks/README.md measured
/// hardirq->user p50 at 0.54-0.58 of that with the IRQ thread at 90, two lab boots).
/// </summary>
public sealed class IrqThreadPriority
{
    private readonly List<(IrqThread Thread, int Policy)> _changed = [];
    private readonly List<string> _words = [];

    private IrqThreadPriority() { }

    /// <summary>What was done, per thread, in words ("irq/28-valirq-0 (pid 248) SCHED_FIFO 50 -> 90"), then how it was put back.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>
    /// Sets every IRQ thread of <paramref name="irqs"/> (<c>irq/N-...</c>, found in <paramref name="proc"/>) to
    /// SCHED_FIFO <paramref name="priority"/>. A thread that cannot be set (it is gone, or no permission) is said
    /// in <see cref="Words"/> and left.
    /// </summary>
    public static IrqThreadPriority Raise(IEnumerable<int> irqs, int priority, string proc = "/proc")
    {
        var r = new IrqThreadPriority();
        foreach (var irq in irqs.Distinct())
        {
            var threads = IrqState.Capture(irq, proc).Threads;
            if (threads.Count == 0) r._words.Add($"IRQ {irq}: no IRQ thread (not threaded, or not requested yet); nothing set");
            foreach (var t in threads)
            {
                var policy = Scheduling.GetPolicy(t.Pid);
                var e = policy < 0 ? Errno.ESRCH : Scheduling.SetFifo(t.Pid, priority);
                if (e != 0)
                {
                    r._words.Add($"{t.Name} (pid {t.Pid}): not set to SCHED_FIFO {priority} ({Errno.Name(e)})");
                    continue;
                }
                r._changed.Add((t, policy));
                r._words.Add($"{t.Name} (pid {t.Pid}) {t.Policy} {t.Priority} -> SCHED_FIFO {priority}");
            }
        }
        return r;
    }

    /// <summary>
    /// Puts every thread set back to its policy and priority, and reads it back: "put back" when the kernel
    /// says so, "gone" for a thread that ended with its IRQ (nothing to put back), else why not.
    /// </summary>
    public void Restore()
    {
        foreach (var (t, policy) in _changed)
        {
            var e = Scheduling.SetPolicy(t.Pid, policy, t.Priority);
            var (nowPolicy, nowPrio) = (Scheduling.GetPolicy(t.Pid), Scheduling.GetPriority(t.Pid));
            _words.Add(e == Errno.ESRCH || nowPolicy < 0 ? $"{t.Name} (pid {t.Pid}): gone with its IRQ, nothing to put back"
                : e == 0 && nowPolicy == policy && nowPrio == t.Priority ? $"{t.Name} (pid {t.Pid}): put back to {t.Policy} {t.Priority.ToString(CultureInfo.InvariantCulture)}"
                : $"{t.Name} (pid {t.Pid}): NOT put back to {t.Policy} {t.Priority} (now {RealtimeCalls.PolicyName(nowPolicy)} {nowPrio}; {(e == 0 ? "the kernel kept another" : Errno.Name(e))})");
        }
        _changed.Clear();
    }
}
