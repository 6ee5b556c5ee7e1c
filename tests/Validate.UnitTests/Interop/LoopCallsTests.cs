using System.Diagnostics;
using System.IO.Pipes;
using NUnit.Framework;
using Validate.Interop;

namespace Validate.UnitTests.Interop;

/// <summary>
/// The measurement loops' libc calls, bound as function pointers (<see cref="LoopCalls"/>): each returns
/// what libc returns and -errno on failure, the clock is CLOCK_MONOTONIC, and poll, the one that sleeps,
/// keeps its GC transition, so a collection never waits for an interrupt.
/// </summary>
public unsafe class LoopCallsTests
{
    private const uint FIONREAD = 0x541B;

    private static (AnonymousPipeServerStream Write, AnonymousPipeClientStream Read, int ReadFd) Pipe()
    {
        var w = new AnonymousPipeServerStream(PipeDirection.Out);
        var r = new AnonymousPipeClientStream(PipeDirection.In, w.ClientSafePipeHandle);
        return (w, r, (int)r.SafePipeHandle.DangerousGetHandle());
    }

    [Test]
    public void The_clock_is_the_monotonic_clock_the_kernel_stamps_with()
    {
        // .NET's Stopwatch is CLOCK_MONOTONIC in ns on Linux: the loop's clock must fall between two reads of it.
        var a = Stopwatch.GetTimestamp();
        var t = MonotonicClock.NowNs();
        var b = Stopwatch.GetTimestamp();
        Assert.That(Stopwatch.Frequency, Is.EqualTo(1_000_000_000L));
        Assert.That(t, Is.InRange(a, b));
    }

    [Test]
    public void Poll_read_and_ioctl_return_what_libc_returns_and_minus_errno_on_failure()
    {
        var (w, r, fd) = Pipe();
        using (w)
        using (r)
        {
            Assert.That(Posix.PollIn(fd, 0), Is.EqualTo(0), "an empty pipe is not readable");
            w.Write([1, 2, 3]);
            w.Flush();
            Assert.That(Posix.PollIn(fd, 1000), Is.EqualTo(1));
            int pending;
            Assert.That(LoopCalls.IoctlShort(fd, FIONREAD, &pending), Is.EqualTo(0));
            Assert.That(pending, Is.EqualTo(3));
            var buffer = stackalloc byte[8];
            Assert.That(Posix.ReadReady(fd, buffer, 8), Is.EqualTo(3));
            Assert.That(buffer[2], Is.EqualTo(3));
        }
        Assert.That(Posix.ReadReady(-1, null, 0), Is.EqualTo(-Errno.EBADF));
        Assert.That(LoopCalls.IoctlShort(-1, FIONREAD, null), Is.EqualTo(-Errno.EBADF));
        Span<int> fds = [-1, 1 << 20];
        Span<bool> ready = [true, false];
        // poll skips a negative descriptor and reports a closed one in revents (POLLNVAL), not as an error: as in C.
        Assert.That(Posix.PollAnyIn(fds, ready, 0), Is.EqualTo(1));
        Assert.That(ready.ToArray(), Is.EqualTo(new[] { false, true }));
        Assert.That(LoopCalls.Poll(null, 1, 0), Is.EqualTo(-14), "EFAULT");
    }

    [Test]
    public void A_collection_neither_waits_for_nor_interrupts_a_loop_thread_sleeping_in_poll()
    {
        // poll keeps its GC transition: the sleeping thread is in preemptive mode, and the collection
        // goes on without it. Bound without the transition, the thread would be in cooperative mode in
        // the kernel: the runtime signals it to suspend, poll returns EINTR, and every collection would
        // cut an interrupt wait short (which PollIn would hide by polling again with the full timeout).
        var (w, r, fd) = Pipe();
        using (w)
        using (r)
        {
            var result = int.MinValue;
            var inPoll = new ManualResetEventSlim();
            var thread = new Thread(() =>
            {
                var pfd = stackalloc short[4];
                *(int*)pfd = fd;
                pfd[2] = 1; // POLLIN
                inPoll.Set();
                result = LoopCalls.Poll(pfd, 1, 10_000);
            }) { IsBackground = true };
            thread.Start();
            inPoll.Wait();
            Thread.Sleep(200);
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            Thread.Sleep(200);
            var stillPolling = thread.IsAlive;
            w.Write([1]);
            w.Flush();
            Assert.That(thread.Join(30_000), Is.True);
            Assert.That((stillPolling, result), Is.EqualTo((true, 1)), "poll was cut short by the collection (-4 is EINTR)");
        }
    }
}
