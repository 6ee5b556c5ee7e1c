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
/// </summary>
public static unsafe class LoopCalls
{
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, Libc.Timespec*, int> s_clockGettime;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint> s_read;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint> s_write;
    private static readonly delegate* unmanaged[SuppressGCTransition]<int, nuint, void*, int> s_ioctl;
    private static readonly delegate* unmanaged<void*, nuint, int, int> s_poll;

    static LoopCalls()
    {
        var libc = NativeLibrary.Load("libc.so.6");
        s_clockGettime = (delegate* unmanaged[SuppressGCTransition]<int, Libc.Timespec*, int>)NativeLibrary.GetExport(libc, "clock_gettime");
        s_read = (delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint>)NativeLibrary.GetExport(libc, "read");
        s_write = (delegate* unmanaged[SuppressGCTransition]<int, void*, nuint, nint>)NativeLibrary.GetExport(libc, "write");
        s_ioctl = (delegate* unmanaged[SuppressGCTransition]<int, nuint, void*, int>)NativeLibrary.GetExport(libc, "ioctl");
        s_poll = (delegate* unmanaged<void*, nuint, int, int>)NativeLibrary.GetExport(libc, "poll");
    }

    /// <summary>clock_gettime(CLOCK_MONOTONIC) in ns (the vDSO: no system call, never fails for this clock).</summary>
    public static long MonotonicNs()
    {
        Libc.Timespec ts;
        s_clockGettime(Libc.CLOCK_MONOTONIC, &ts);
        return ts.TvSec * 1_000_000_000L + ts.TvNsec;
    }

    /// <summary>read(2) of a descriptor poll reported readable (it does not block): bytes, or -errno.</summary>
    public static long ReadReady(int fd, void* buffer, nuint count)
    {
        var n = s_read(fd, buffer, count);
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
    public static int IoctlShort(int fd, uint request, void* arg)
    {
        var r = s_ioctl(fd, request, arg);
        return r >= 0 ? r : -Marshal.GetLastSystemError();
    }

    /// <summary>poll(2) on <paramref name="count"/> struct pollfd (8 bytes each): as poll returns, or -errno.</summary>
    public static int Poll(void* fds, nuint count, int timeoutMs)
    {
        var r = s_poll(fds, count, timeoutMs);
        return r >= 0 ? r : -Marshal.GetLastSystemError();
    }
}
