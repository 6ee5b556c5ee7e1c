using System.Globalization;
using Tmds.Linux;
using Validate.Interop;
using static Tmds.Linux.LibC;

namespace Validate.Realtime;

/// <summary>
/// The real-time calls the engine makes on a process or on the calling thread, each failing with an
/// <see cref="InteropException"/> that names the call, errno and the value; and read-backs that verify.
/// </summary>
public static unsafe class RealtimeCalls
{
    /// <summary>mlockall(MCL_CURRENT | MCL_FUTURE): no page fault in the measuring path.</summary>
    public static void LockAllMemory()
    {
        if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
            throw new InteropException("mlockall(MCL_CURRENT|MCL_FUTURE)", errno, "this process");
    }

    /// <summary>SCHED_FIFO at <paramref name="priority"/> for the calling thread (not the process).</summary>
    public static void SetFifo(int priority)
    {
        var p = new Libc.SchedParam { SchedPriority = priority };
        if (Libc.SchedSetscheduler(0, Libc.SCHED_FIFO, in p) != 0)
            throw new InteropException($"sched_setscheduler(SCHED_FIFO, {priority})", System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"thread {Libc.Gettid()}");
    }

    /// <summary>SCHED_FIFO at <paramref name="priority"/> for another process's main thread (and the threads it creates after).</summary>
    public static void SetFifo(int pid, int priority)
    {
        var p = new Libc.SchedParam { SchedPriority = priority };
        if (Libc.SchedSetscheduler(pid, Libc.SCHED_FIFO, in p) != 0)
            throw new InteropException($"sched_setscheduler(SCHED_FIFO, {priority})", System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), $"process {pid}");
    }

    /// <summary>Pins the calling thread to <paramref name="cpus"/>.</summary>
    public static void SetAffinity(IReadOnlyList<int> cpus) => SetAffinity(0, cpus);

    /// <summary>Pins thread or process <paramref name="pid"/> (0: the calling thread) to <paramref name="cpus"/>.</summary>
    public static void SetAffinity(int pid, IReadOnlyList<int> cpus)
    {
        cpu_set_t set = default;
        var words = (ulong*)&set;
        foreach (var c in cpus)
        {
            if (c < 0 || c >= 1024) throw new ArgumentOutOfRangeException(nameof(cpus), c, "CPU number out of range");
            words[c / 64] |= 1ul << (c % 64);
        }
        if (sched_setaffinity(pid, (size_t)sizeof(cpu_set_t), &set) != 0)
            throw new InteropException($"sched_setaffinity({string.Join(',', cpus)})", errno, pid == 0 ? $"thread {Libc.Gettid()}" : $"process {pid}");
    }

    /// <summary>The calling thread's policy, priority and CPUs, as the kernel reports them.</summary>
    public static ThreadSchedState ReadThread()
    {
        var policy = Libc.SchedGetscheduler(0);
        Libc.SchedGetparam(0, out var param);
        cpu_set_t set = default;
        var cpus = new List<int>();
        if (sched_getaffinity(0, (size_t)sizeof(cpu_set_t), &set) == 0)
        {
            var words = (ulong*)&set;
            for (int c = 0; c < 1024; c++)
                if ((words[c / 64] & (1ul << (c % 64))) != 0) cpus.Add(c);
        }
        return new ThreadSchedState(Libc.Gettid(), PolicyName(policy), param.SchedPriority, cpus);
    }

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
