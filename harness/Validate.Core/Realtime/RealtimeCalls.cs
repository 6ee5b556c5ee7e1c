using System.Globalization;
using Validate.Interop;

namespace Validate.Realtime;

/// <summary>
/// The real-time calls the engine makes on a process or on the calling thread, each failing with an
/// <see cref="InteropException"/> that names the call, errno and the value; and read-backs that verify.
/// The libc calls themselves are <see cref="Scheduling"/>'s (Interop/); this is what they mean here.
/// </summary>
public static class RealtimeCalls
{
    /// <summary>
    /// mlockall(MCL_CURRENT | MCL_FUTURE), with MCL_ONFAULT unless <paramref name="prefault"/>: no page of the
    /// process is ever paged out. With MCL_ONFAULT a page is locked when first touched, so what the measuring
    /// path touches must be touched before the window (the warm-up, the recorders' prefault); the window's page
    /// faults are counted (measurement.harness) to prove it. Without it every mapping (the runtime's and every
    /// framework assembly's file, whole) is read in and locked now: measured 11-18 s of each run's start in the
    /// emulated lab, for pages nothing touches.
    /// </summary>
    public static void LockAllMemory(bool prefault)
    {
        if (Scheduling.LockAllMemory(onFault: !prefault) is var e and not 0)
            throw new InteropException(prefault ? "mlockall(MCL_CURRENT|MCL_FUTURE)" : "mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT)", e, "this process");
    }

    /// <summary>SCHED_FIFO at <paramref name="priority"/> for the calling thread (not the process).</summary>
    public static void SetFifo(int priority)
    {
        if (Scheduling.SetFifo(0, priority) is var e and not 0)
            throw new InteropException($"sched_setscheduler(SCHED_FIFO, {priority})", e, $"thread {Scheduling.CurrentThreadId()}");
    }

    /// <summary>SCHED_FIFO at <paramref name="priority"/> for another process's main thread (and the threads it creates after).</summary>
    public static void SetFifo(int pid, int priority)
    {
        if (Scheduling.SetFifo(pid, priority) is var e and not 0)
            throw new InteropException($"sched_setscheduler(SCHED_FIFO, {priority})", e, $"process {pid}");
    }

    /// <summary>Pins the calling thread to <paramref name="cpus"/>.</summary>
    public static void SetAffinity(IReadOnlyList<int> cpus) => SetAffinity(0, cpus);

    /// <summary>Pins thread or process <paramref name="pid"/> (0: the calling thread) to <paramref name="cpus"/>.</summary>
    public static void SetAffinity(int pid, IReadOnlyList<int> cpus)
    {
        if (Scheduling.SetAffinity(pid, cpus) is var e and not 0)
            throw new InteropException($"sched_setaffinity({string.Join(',', cpus)})", e, pid == 0 ? $"thread {Scheduling.CurrentThreadId()}" : $"process {pid}");
    }

    /// <summary>The calling thread's policy, priority and CPUs, as the kernel reports them.</summary>
    public static ThreadSchedState ReadThread() =>
        new(Scheduling.CurrentThreadId(), PolicyName(Scheduling.GetPolicy(0)), Scheduling.GetPriority(0), Scheduling.GetAffinity(0));

    public static string PolicyName(int policy) => policy switch
    {
        0 => "SCHED_OTHER", 1 => "SCHED_FIFO", 2 => "SCHED_RR", 3 => "SCHED_BATCH", 5 => "SCHED_IDLE", 6 => "SCHED_DEADLINE",
        _ => policy.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>VmLck of this process in kB (/proc/self/status): what mlockall actually locked.</summary>
    public static long LockedKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmLck:", StringComparison.Ordinal)) continue;
            var digits = new string(line.Where(char.IsAsciiDigit).ToArray());
            return long.Parse(digits, CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>Touches <paramref name="bytes"/> of stack so the measuring thread never faults one in.</summary>
    public static void PrefaultStack(int bytes = 256 * 1024)
    {
        Span<byte> stack = stackalloc byte[bytes];
        for (int i = 0; i < stack.Length; i += 4096) stack[i] = 1;
    }
}

/// <summary>Scheduling of one thread as read back from the kernel.</summary>
public sealed record ThreadSchedState(int Tid, string Policy, int Priority, IReadOnlyList<int> Cpus);
