using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Validate.Interop;

/// <summary>
/// The file calls of the measurement paths, on a raw descriptor (<see cref="FileDescriptor.Number"/>, under
/// the owner's contract described there): allocation-free, no exception, each returning what it returns
/// in C on success and -errno on failure, errno read once right after the call. The first call of each
/// binds its P/Invoke (and allocates): a real-time loop makes every call once before it counts (on fd -1
/// they fail with EBADF at once and touch nothing).
/// </summary>
public static unsafe class Posix
{
    /// <summary>ssize_t read(int, void *, size_t): bytes read, or -errno (EINTR, EAGAIN returned, not retried).</summary>
    public static long Read(int fd, void* buffer, nuint count)
    {
        long n = read(fd, buffer, (size_t)count);
        return n >= 0 ? n : -errno;
    }

    /// <summary>
    /// read(2) of a descriptor <see cref="PollIn"/> just reported readable, in a measurement loop: it does
    /// not block, so it is made without the GC transition (<see cref="LoopCalls"/>). Bytes read, or -errno.
    /// </summary>
    public static long ReadReady(int fd, void* buffer, nuint count) => LoopCalls.ReadReady(fd, buffer, count);

    /// <summary>ssize_t write(int, const void *, size_t): bytes written, or -errno.</summary>
    public static long Write(int fd, void* buffer, nuint count)
    {
        long n = write(fd, buffer, (size_t)count);
        return n >= 0 ? n : -errno;
    }

    /// <summary>ssize_t pread(int, void *, size_t, off_t): bytes read, or -errno.</summary>
    public static long Pread(int fd, void* buffer, nuint count, long offset)
    {
        long n = pread(fd, buffer, (size_t)count, (off_t)offset);
        return n >= 0 ? n : -errno;
    }

    /// <summary>ssize_t pwrite(int, const void *, size_t, off_t): bytes written, or -errno.</summary>
    public static long Pwrite(int fd, void* buffer, nuint count, long offset)
    {
        long n = pwrite(fd, buffer, (size_t)count, (off_t)offset);
        return n >= 0 ? n : -errno;
    }

    /// <summary>off_t lseek(int, off_t, SEEK_END): the new offset, or -errno.</summary>
    public static long SeekEnd(int fd)
    {
        long n = lseek(fd, 0, SEEK_END);
        return n >= 0 ? n : -errno;
    }

    /// <summary>
    /// poll(2) for POLLIN on one descriptor: 1 when it is readable (or POLLERR/POLLHUP: the read says
    /// which), 0 on timeout, or -errno. EINTR is retried here, with the full timeout again.
    /// </summary>
    public static int PollIn(int fd, int timeoutMs)
    {
        pollfd pfd = default;
        pfd.fd = fd;
        pfd.events = POLLIN;
        int r;
        do
        {
            r = LoopCalls.Poll(&pfd, 1, timeoutMs);
        }
        while (r == -Errno.EINTR);
        return r;
    }

    /// <summary>
    /// poll(2) for POLLIN on up to 32 descriptors: how many are readable (each marked in
    /// <paramref name="ready"/>), 0 on timeout, or -errno. EINTR is retried with the full timeout. Allocation-free.
    /// </summary>
    public static int PollAnyIn(ReadOnlySpan<int> fds, Span<bool> ready, int timeoutMs)
    {
        var n = Math.Min(fds.Length, 32);
        var pfd = stackalloc pollfd[32];
        for (var i = 0; i < n; i++)
        {
            pfd[i].fd = fds[i];
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        int r;
        do
        {
            r = LoopCalls.Poll(pfd, (nuint)n, timeoutMs);
        }
        while (r == -Errno.EINTR);
        for (var i = 0; i < n; i++) ready[i] = r > 0 && pfd[i].revents != 0;
        return r;
    }

    /// <summary>int ioctl(int, unsigned long, void *): its non-negative result, or -errno.</summary>
    public static int Ioctl(int fd, uint request, void* arg)
    {
        var r = ioctl(fd, unchecked((int)request), arg);
        return r >= 0 ? r : -errno;
    }
}
