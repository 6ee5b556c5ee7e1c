using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using Validate.Interop;
using static Tmds.Linux.LibC;

namespace Validate.Devices;

/// <summary>
/// An open /dev/valirq-ADDRESS: the valirq UAPI (kmod/include/uapi/linux/valirq.h) as methods. The
/// set-up calls throw <see cref="InteropException"/> with the call, errno and device path; the calls made
/// in measurement loops (<see cref="WaitEvent"/>, <see cref="Ack"/>) return status instead and allocate
/// nothing: their argument structs live in native memory allocated at open. The stimulus is a test hook
/// of debugfs, not of the device: <see cref="ValirqStimulusHook"/>.
/// </summary>
public sealed unsafe class ValirqDevice : IDisposable
{
    private int _fd;
    private readonly ValirqEvent* _event;

    public string Path { get; }

    private ValirqDevice(string path, int fd)
    {
        Path = path;
        _fd = fd;
        _event = (ValirqEvent*)NativeMemory.AllocZeroed((nuint)sizeof(ValirqEvent));
    }

    public static string PathOf(string pciAddress) => $"/dev/valirq-{pciAddress}";

    public static ValirqDevice Open(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes) fd = open(p, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
        {
            var e = errno;
            throw new InteropException("open(O_RDWR)", e, path + e switch
            {
                Errno.EBUSY => " (another process has it open: one opener at a time)",
                Errno.EPERM => " (valirq needs CAP_SYS_RAWIO, as sysfs resource mmap does, and refuses under kernel lockdown: run as root, or give the service AmbientCapabilities=CAP_SYS_RAWIO)",
                _ => "",
            });
        }
        var dev = new ValirqDevice(path, fd);
        uint version;
        if (ioctl(fd, unchecked((int)ValirqIoc.Version), &version) != 0) { var e = errno; dev.Dispose(); throw new InteropException("ioctl(VALIRQ_IOC_VERSION)", e, path); }
        if (version != Valirq.UapiVersion)
        {
            dev.Dispose();
            throw new InteropException($"ioctl(VALIRQ_IOC_VERSION) = {version}, this harness speaks {Valirq.UapiVersion}: rebuild kmod/ and the harness from one checkout", Errno.EINVAL, path);
        }
        return dev;
    }

    private void Check(int r, string call)
    {
        if (r != 0) throw new InteropException(call, errno, Path);
    }

    public ValirqInfo Info()
    {
        ValirqInfo info;
        Check(ioctl(_fd, unchecked((int)ValirqIoc.Info), &info), "ioctl(VALIRQ_IOC_INFO)");
        return info;
    }

    public void SetProgram(in ValirqProgram program)
    {
        fixed (ValirqProgram* p = &program) Check(ioctl(_fd, unchecked((int)ValirqIoc.SetProgram), p), "ioctl(VALIRQ_IOC_SET_PROGRAM)");
    }

    public void SetQuiesce(in ValirqQuiesce quiesce)
    {
        fixed (ValirqQuiesce* p = &quiesce) Check(ioctl(_fd, unchecked((int)ValirqIoc.SetQuiesce), p), "ioctl(VALIRQ_IOC_SET_QUIESCE)");
    }

    public void Enable(uint mode, uint flags = 0)
    {
        var e = new ValirqEnable { Mode = mode, Flags = flags };
        Check(ioctl(_fd, unchecked((int)ValirqIoc.Enable), &e), $"ioctl(VALIRQ_IOC_ENABLE, mode {mode})");
    }

    public void Disable() => Check(ioctl(_fd, unchecked((int)ValirqIoc.Disable), (void*)null), "ioctl(VALIRQ_IOC_DISABLE)");

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for one event record and reads it. Returns 1 and the record,
    /// 0 on timeout, or -errno. EINTR is retried.
    /// </summary>
    public int WaitEvent(int timeoutMs, out ValirqEvent ev)
    {
        pollfd pfd = default;
        pfd.fd = _fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        int r;
        do r = poll(&pfd, 1, timeoutMs); while (r < 0 && errno == Errno.EINTR);
        if (r <= 0)
        {
            ev = default;
            return r == 0 ? 0 : -errno;
        }
        ssize_t n = read(_fd, _event, (size_t)sizeof(ValirqEvent));
        if (n != sizeof(ValirqEvent))
        {
            ev = default;
            return n < 0 ? -errno : -Errno.EIO;
        }
        ev = *_event;
        return 1;
    }

    /// <summary>
    /// Maps a memory BAR through valirq (revocable by the kernel: see the UAPI header). valirq maps only
    /// page-aligned BARs of at least a page (VALIRQ_BAR_MMAP): a smaller one shares its page with other
    /// registers.
    /// </summary>
    public MappedBar MapBar(int bar, in ValirqBarInfo info)
    {
        if ((info.Flags & Valirq.BarMmap) == 0)
            throw new InteropException($"mmap(BAR {bar})", Errno.EINVAL,
                $"{Path}: valirq cannot map BAR {bar} ({((info.Flags & Valirq.BarPresent) == 0 ? "absent" : (info.Flags & Valirq.BarIo) != 0 ? "an I/O BAR" : $"{info.Size} bytes, smaller than a page or not page-aligned")}); acknowledge the card in the kernel instead (mode intx-shared with the plan's ack steps)");
        var map = mmap(null, (size_t)(nuint)info.Size, PROT_READ | PROT_WRITE, MAP_SHARED, _fd, Valirq.MmapOffset(bar));
        if (map == (void*)-1) throw new InteropException($"mmap(BAR {bar}, {info.Size} bytes)", errno, Path);
        return new MappedBar((byte*)map, (nuint)info.Size, bar, $"{Path} BAR {bar}");
    }

    /// <summary>Re-arms the interrupt (VALIRQ_IOC_ACK). Returns 0 or -errno (EAGAIN: the card still interrupts).</summary>
    public int Ack() => ioctl(_fd, unchecked((int)ValirqIoc.Ack), (void*)null) == 0 ? 0 : -errno;

    public void Dispose()
    {
        if (_fd < 0) return;
        // Closing runs the quiesce program in the kernel (valirq's release).
        _ = close(_fd);
        _fd = -1;
        NativeMemory.Free(_event);
    }
}
