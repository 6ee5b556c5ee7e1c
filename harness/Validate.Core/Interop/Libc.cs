using System.Runtime.InteropServices;

namespace Validate.Interop;

// libc calls that Tmds.LibC lacks, bound with LibraryImport (source-generated, no marshalling stubs at
// run time). C names are kept here only, and only Interop/ calls them (tests/Validate.UnitTests/
// ArchitectureTests.cs reads the IL): the rest of the engine calls the typed wrappers Scheduling and
// MonotonicClock. clock_gettime, and the read/ioctl/poll of measurement loops, are function pointers in
// LoopCalls (no stub between the loop and libc). Widths are exact: clockid_t and int are int, pid_t is int, time_t and long are long.
// Tmds.LibC covers the rest (mlockall, sched_setaffinity, open/read/write/ioctl/poll/mmap), also called
// from Interop/ only: FileDescriptor, MappedMemory, Posix, Scheduling, Signals.
internal static partial class Libc
{
    public const int CLOCK_MONOTONIC = 1;
    public const int TIMER_ABSTIME = 1;
    public const int SCHED_OTHER = 0;
    public const int SCHED_FIFO = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long TvSec;
        public long TvNsec;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SchedParam
    {
        public int SchedPriority;
    }

    /// <summary>
    /// int clock_nanosleep(clockid_t, int flags, const struct timespec *, struct timespec *):
    /// 0, or the error number itself (it does not set errno); EINTR when a signal woke it.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    public static partial int ClockNanosleep(int clockId, int flags, in Timespec request, IntPtr remain);

    /// <summary>int sched_setscheduler(pid_t, int policy, const struct sched_param *): 0, or -1 and errno. pid 0 is the calling thread.</summary>
    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    public static partial int SchedSetscheduler(int pid, int policy, in SchedParam param);

    /// <summary>int sched_getparam(pid_t, struct sched_param *): 0, or -1 and errno.</summary>
    [LibraryImport("libc", EntryPoint = "sched_getparam", SetLastError = true)]
    public static partial int SchedGetparam(int pid, out SchedParam param);

    /// <summary>int sched_getscheduler(pid_t): the policy, or -1 and errno.</summary>
    [LibraryImport("libc", EntryPoint = "sched_getscheduler", SetLastError = true)]
    public static partial int SchedGetscheduler(int pid);

    /// <summary>int prctl(int option, unsigned long arg2, ...): 0 (for the options we use), or -1 and errno.</summary>
    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>pid_t gettid(void): never fails.</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int Gettid();
}
