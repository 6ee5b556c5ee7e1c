using System.Globalization;
using System.Text;
using Validate.Interop;

namespace Validate.Platform;

/// <summary>
/// A position in the kernel log (/dev/kmsg): opened at the end, <see cref="ReadNew"/> returns what the
/// kernel logged since, as "[seconds] message" lines. Each read() of /dev/kmsg returns one record
/// ("priority,sequence,microseconds,flags;message"); EAGAIN means none is left; EPIPE means records were
/// overwritten before we read them (counted in <see cref="Lost"/>). Without /dev/kmsg or permission to
/// read it, <see cref="Available"/> is false and the reason says why. The descriptor is owned by a
/// <see cref="FileDescriptor"/>; not thread-safe, dispose after the last read.
/// </summary>
public sealed unsafe class KernelLog : IDisposable
{
    private FileDescriptor? _handle;
    private readonly byte[] _record = new byte[8192];

    public bool Available => _handle is not null;
    public string? Unavailable { get; }
    public long Lost { get; private set; }

    private KernelLog(FileDescriptor? handle, string? why)
    {
        _handle = handle;
        Unavailable = why;
    }

    public static KernelLog OpenAtEnd(string path = "/dev/kmsg")
    {
        var handle = FileDescriptor.TryOpen(path, OpenMode.ReadOnly | OpenMode.NonBlock, out var error);
        if (handle is null) return new KernelLog(null, $"{path}: {Errno.Name(error)} (root or CAP_SYSLOG reads the kernel log)");
        try
        {
            _ = Posix.SeekEnd(handle.Number);
            return new KernelLog(handle, null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public IReadOnlyList<string> ReadNew(int max = 1000)
    {
        var lines = new List<string>();
        if (_handle is null) return lines;
        while (true)
        {
            long n;
            fixed (byte* b = _record) n = Posix.Read(_handle.Number, b, (nuint)_record.Length);
            if (n < 0)
            {
                if (n == -Errno.EINTR) continue;
                if (n == -Errno.EPIPE) { Lost++; continue; }
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
        _handle?.Dispose();
        _handle = null;
    }
}
