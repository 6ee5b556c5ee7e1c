using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Validate.Interop;

/// <summary>
/// The libc calls a measurement loop makes between a raise and its user-side stamp, bound as unmanaged
/// function pointers so that each is one indirect call from the loop's compiled code, as in C: no
/// marshalling stub, no errno bookkeeping on success (errno is read with
/// <see cref="Marshal.GetLastSystemError"/> only after a failure, as a LibraryImport stub does).
/// <para>
/// Calls that never block (clock_gettime in the vDSO, read of a descriptor poll found readable, a
/// valirq ioctl that only writes a register or re-arms, a write into tracefs) also skip the GC transition
/// (<c>SuppressGCTransition</c>): the runtime's own guidance for calls of a few microseconds at most.
/// poll, which sleeps until the interrupt, keeps the transition, inlined by the JIT, so a collection
/// elsewhere never waits for it.
/// </para>
/// <para>
/// What it bought: nothing measurable. tests/Benchmarks/valirq-c-vs-csharp.sh against the DllImport
/// stubs with SetLastError it replaced gave after/before 1.01 at p50 over 5 rounds in one lab boot
/// (tests/Benchmarks/README.md). It stays as the path with the fewest instructions between raise and stamp.
/// </para>
/// <para>
/// poll and read, the two calls between the interrupt and the user-side stamp, go through libc's
/// <c>syscall()</c>, not its <c>poll()</c> and <c>read()</c>: those are cancellation points, and in a
/// process with more than one thread (every .NET process) glibc brackets each with two atomic updates of the
/// thread's cancellation state, which a single-threaded C reader skips. <c>syscall()</c> is the bare
/// instruction with errno on failure. It is variadic; called here through a non-variadic pointer, which is
/// safe for glibc's on x86-64 (hand-written assembly that moves registers and never reads %al, the
/// variadic vector count) and on arm64 (variadic arguments travel as fixed ones on Linux). The per-sample
/// wrappers are <see cref="MethodImplOptions.AggressiveInlining"/>, so the loop's compiled code makes the
/// call itself, with the P/Invoke frame of poll set up in the loop method's prologue, before the raise.
/// </para>
/// </summary>
public static unsafe class LoopCalls
{
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, Libc.Timespec*, int> s_clockGettime;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint> s_read;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint> s_write;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, nuint, void*, int> s_ioctl;
    private static readonly delegate* unmanaged<void*, nuint, int, int> s_poll;
    // libc's syscall(number, a, b, c), with and without the GC transition (see above for why not poll/read).
    private static readonly delegate* unmanaged[SuppressGCTransition]<nint, nint, nint, nint, nint> s_syscallShort;
    private static readonly delegate* unmanaged<nint, nint, nint, nint, nint, nint> s_syscallBlocking;
    private static readonly nint s_sysRead;
    private static readonly nint s_sysPoll;   // poll(2) on x86-64; arm64 has only ppoll(2) (see Poll)
    private static readonly bool s_pollIsPpoll;

    static LoopCalls()
    {
        var libc = NativeLibrary.Load("libc.so.6");
        s_clockGettime = (delegate* unmanaged[SuppressGCTransition]<int, Libc.Timespec*, int>)NativeLibrary.GetExport(libc, "clock_gettime");
        s_read = (delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint>)NativeLibrary.GetExport(libc, "read");
        s_write = (delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint>)NativeLibrary.GetExport(libc, "write");
        s_ioctl = (delegate* unmanaged[SuppressGCTransition]<int, nuint, void*, int>)NativeLibrary.GetExport(libc, "ioctl");
        s_poll = (delegate* unmanaged<void*, nuint, int, int>)NativeLibrary.GetExport(libc, "poll");
        var syscall = NativeLibrary.GetExport(libc, "syscall");
        s_syscallShort = (delegate* unmanaged[SuppressGCTransition]<nint, nint, nint, nint, nint>)syscall;
        s_syscallBlocking = (delegate* unmanaged<nint, nint, nint, nint, nint, nint>)syscall;
        (s_sysRead, s_sysPoll, s_pollIsPpoll) = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => ((nint)0, (nint)7, false),       // __NR_read, __NR_poll (asm/unistd_64.h)
            Architecture.Arm64 => ((nint)63, (nint)73, true),    // __NR_read, __NR_ppoll (asm-generic/unistd.h)
            _ => ((nint)(-1), (nint)(-1), false),               // no numbers known: libc's read and poll
        };
    }

    /// <summary>clock_gettime(CLOCK_MONOTONIC) in ns (the vDSO: no system call, never fails for this clock).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MonotonicNs()
    {
        Libc.Timespec ts;
        s_clockGettime(Libc.CLOCK_MONOTONIC, &ts);
        return ts.TvSec * 1_000_000_000L + ts.TvNsec;
    }

    /// <summary>read(2) of a descriptor poll reported readable (it does not block): bytes, or -errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadReady(int fd, void* buffer, nuint count)
    {
        var n = s_sysRead >= 0 ? s_syscallShort(s_sysRead, fd, (nint)buffer, (nint)count) : s_read(fd, buffer, count);
        return n >= 0 ? n : -Marshal.GetLastSystemError();
    }

    /// <summary>
    /// write(2) that never blocks: a line into tracefs's trace_marker (copied into the ring) or a 0 into its
    /// tracing_on (a flag), after a sample's stamps (<see cref="Tracing.TraceMarks"/>): bytes, or -errno.
    /// </summary>
    public static long WriteShort(int fd, void* buffer, nuint count)
    {
        var n = s_write(fd, buffer, count);
        return n >= 0 ? n : -Marshal.GetLastSystemError();
    }

    /// <summary>An ioctl that never sleeps for long (a register write, a re-arm): its result, or -errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IoctlShort(int fd, uint request, void* arg)
    {
        var r = s_ioctl(fd, request, arg);
        return r >= 0 ? r : -Marshal.GetLastSystemError();
    }

    /// <summary>poll(2) on <paramref name="count"/> struct pollfd (8 bytes each): as poll returns, or -errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Poll(void* fds, nuint count, int timeoutMs)
    {
        if (s_sysPoll < 0)
        {
            var p = s_poll(fds, count, timeoutMs);
            return p >= 0 ? p : -Marshal.GetLastSystemError();
        }
        nint r;
        if (!s_pollIsPpoll)
        {
            r = s_syscallBlocking(s_sysPoll, (nint)fds, (nint)count, timeoutMs, 0);
        }
        else
        {
            // ppoll(fds, n, timeout or NULL for none, no signal mask): poll's timeout as a timespec. sigsetsize, the
            // sixth argument, is not passed: the kernel reads it only with a mask.
            Libc.Timespec ts = new() { TvSec = timeoutMs / 1000, TvNsec = timeoutMs % 1000 * 1_000_000L };
            r = s_syscallBlocking(s_sysPoll, (nint)fds, (nint)count, timeoutMs < 0 ? 0 : (nint)(&ts), 0);
        }
        return r >= 0 ? (int)r : -Marshal.GetLastSystemError();
    }
}
