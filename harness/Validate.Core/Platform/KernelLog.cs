using System.Globalization;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Validate.Platform;

/// <summary>
/// A position in the kernel log (/dev/kmsg): opened at the end, <see cref="ReadNew"/> returns what the
/// kernel logged since, as "[seconds] message" lines. Each read() of /dev/kmsg returns one record
/// ("priority,sequence,microseconds,flags;message"); EAGAIN means none is left; EPIPE means records were
/// overwritten before we read them (counted in <see cref="Lost"/>). Without /dev/kmsg or permission to
/// read it, <see cref="Available"/> is false and the reason says why.
/// </summary>
public sealed unsafe class KernelLog : IDisposable
{
    private int _fd = -1;
    private readonly byte[] _record = new byte[8192];

    public bool Available => _fd >= 0;
    public string? Unavailable { get; }
    public long Lost { get; private set; }

    private KernelLog(int fd, string? why)
    {
        _fd = fd;
        Unavailable = why;
    }

    public static KernelLog OpenAtEnd(string path = "/dev/kmsg")
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes) fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0) return new KernelLog(-1, $"{path}: {Interop.Errno.Name(errno)} (root or CAP_SYSLOG reads the kernel log)");
        _ = lseek(fd, 0, SEEK_END);
        return new KernelLog(fd, null);
    }

    public IReadOnlyList<string> ReadNew(int max = 1000)
    {
        var lines = new List<string>();
        if (_fd < 0) return lines;
        while (true)
        {
            ssize_t n;
            fixed (byte* b = _record) n = read(_fd, b, (size_t)_record.Length);
            if (n < 0)
            {
                var e = errno;
                if (e == Interop.Errno.EINTR) continue;
                if (e == 32 /* EPIPE */) { Lost++; continue; }
                break; // EAGAIN: nothing more
            }
            if (n == 0) break;
            var text = Encoding.UTF8.GetString(_record, 0, (int)n);
            var semi = text.IndexOf(';', StringComparison.Ordinal);
            if (semi < 0) continue;
            var head = text[..semi].Split(',');
            var message = text[(semi + 1)..].Split('\n')[0];
            var us = head.Length > 2 && long.TryParse(head[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : 0;
            if (lines.Count < max) lines.Add($"[{us / 1e6,12:0.000000}] {message}");
            else Lost++;
        }
        return lines;
    }

    public void Dispose()
    {
        if (_fd >= 0) _ = close(_fd);
        _fd = -1;
    }
}
