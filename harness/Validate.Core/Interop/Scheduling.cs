using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Validate.Interop;

/// <summary>
/// The scheduling and memory-locking calls of a real-time process (Tmds.LibC, and <see cref="Libc"/> for
/// what it lacks), each returning 0 or errno (read once, right after the call). What a failure means and
/// what to do about it is the caller's (Realtime.RealtimeCalls): this is only the call.
/// </summary>
public static unsafe class Scheduling
{
    public const int SchedOther = Libc.SCHED_OTHER;
    public const int SchedFifo = Libc.SCHED_FIFO;
    /// <summary>CPUs a cpu_set_t holds (CPU_SETSIZE).</summary>
    public const int CpuSetSize = 1024;

    /// <summary>MCL_ONFAULT (Linux 4.4): lock each page as it is first touched instead of populating every mapping now.</summary>
    public const int McOnFault = 4;

    /// <summary>mlockall(MCL_CURRENT | MCL_FUTURE [| MCL_ONFAULT]): 0 or errno.</summary>
    public static int LockAllMemory(bool onFault) => mlockall(MCL_CURRENT | MCL_FUTURE | (onFault ? McOnFault : 0)) == 0 ? 0 : errno;

    /// <summary>sched_setscheduler(pid, SCHED_FIFO, priority): 0 or errno. pid 0 is the calling thread.</summary>
    public static int SetFifo(int pid, int priority)
    {
        var p = new Libc.SchedParam { SchedPriority = priority };
        return Libc.SchedSetscheduler(pid, Libc.SCHED_FIFO, in p) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }

    /// <summary>sched_setscheduler(pid, policy, priority): 0 or errno (to put a thread back as it was).</summary>
    public static int SetPolicy(int pid, int policy, int priority)
    {
        var p = new Libc.SchedParam { SchedPriority = priority };
        return Libc.SchedSetscheduler(pid, policy, in p) == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
    }

    /// <summary>sched_setaffinity(pid, cpus): 0 or errno. pid 0 is the calling thread. A CPU outside 0..1023 throws.</summary>
    public static int SetAffinity(int pid, IReadOnlyList<int> cpus)
    {
        cpu_set_t set = default;
        var words = (ulong*)&set;
        foreach (var c in cpus)
        {
            if (c < 0 || c >= CpuSetSize) throw new ArgumentOutOfRangeException(nameof(cpus), c, "CPU number out of range");
            words[c / 64] |= 1ul << (c % 64);
        }
        return sched_setaffinity(pid, (size_t)sizeof(cpu_set_t), &set) == 0 ? 0 : errno;
    }

    /// <summary>sched_getaffinity(pid): the CPUs, or an empty list when the call failed.</summary>
    public static List<int> GetAffinity(int pid)
    {
        cpu_set_t set = default;
        var cpus = new List<int>();
        if (sched_getaffinity(pid, (size_t)sizeof(cpu_set_t), &set) != 0) return cpus;
        var words = (ulong*)&set;
        for (int c = 0; c < CpuSetSize; c++)
            if ((words[c / 64] & (1ul << (c % 64))) != 0) cpus.Add(c);
        return cpus;
    }

    /// <summary>sched_getscheduler(pid): the policy, or -1.</summary>
    public static int GetPolicy(int pid) => Libc.SchedGetscheduler(pid);

    /// <summary>sched_getparam(pid): the priority (0 when the call failed).</summary>
    public static int GetPriority(int pid)
    {
        Libc.SchedGetparam(pid, out var param);
        return param.SchedPriority;
    }

    /// <summary>gettid(): the calling thread's id.</summary>
    public static int CurrentThreadId() => Libc.Gettid();
}
