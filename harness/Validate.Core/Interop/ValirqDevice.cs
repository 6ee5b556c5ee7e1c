namespace Validate.Interop;

/// <summary>
/// An open /dev/valirq-ADDRESS: the valirq UAPI (kmod/include/uapi/linux/valirq.h, the structs in
/// <see cref="Valirq"/>) bound as methods. The set-up calls throw <see cref="InteropException"/> with the
/// call, errno and device path; the calls made in measurement loops (<see cref="WaitEvent"/>,
/// <see cref="Ack"/>) return status instead and allocate nothing (their argument structs are locals).
/// The stimulus is a test hook of debugfs, not of the device: <see cref="ValirqStimulusHook"/>.
/// <para>
/// The descriptor is owned by a <see cref="FileDescriptor"/>; the methods use its raw number, cached at
/// open (no AddRef/Release per call: see <see cref="FileDescriptor"/>). Contract: one thread at a time, and
/// <see cref="Dispose"/> only when no other call is in flight (the backends dispose after their loop).
/// </para>
/// </summary>
public sealed unsafe class ValirqDevice : IDisposable
{
    private readonly FileDescriptor _handle;
    private readonly int _fd;

    public string Path { get; }

    private ValirqDevice(FileDescriptor handle)
    {
        _handle = handle;
        _fd = handle.Number;
        Path = handle.Path;
    }

    public static string PathOf(string pciAddress) => $"/dev/valirq-{pciAddress}";

    public static ValirqDevice Open(string path)
    {
        var handle = FileDescriptor.TryOpen(path, OpenMode.ReadWrite, out var e) ?? throw new InteropException("open(O_RDWR)", e, path + e switch
        {
            Errno.EBUSY => " (another process has it open: one opener at a time)",
            Errno.EPERM => " (valirq needs CAP_SYS_RAWIO, as sysfs resource mmap does, and refuses under kernel lockdown: run as root, or give the service AmbientCapabilities=CAP_SYS_RAWIO)",
            _ => "",
        });
        try
        {
            uint version;
            var r = Posix.Ioctl(handle.Number, ValirqIoc.Version, &version);
            if (r < 0) throw new InteropException("ioctl(VALIRQ_IOC_VERSION)", -r, path);
            if (version != Valirq.UapiVersion)
                throw new InteropException($"ioctl(VALIRQ_IOC_VERSION) = {version}, this harness speaks {Valirq.UapiVersion}: rebuild kmod/ and the harness from one checkout", Errno.EINVAL, path);
            return new ValirqDevice(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void Check(int r, string call)
    {
        GC.KeepAlive(_handle);
        if (r < 0) throw new InteropException(call, -r, Path);
    }

    public ValirqInfo Info()
    {
        ValirqInfo info;
        Check(Posix.Ioctl(_fd, ValirqIoc.Info, &info), "ioctl(VALIRQ_IOC_INFO)");
        return info;
    }

    public void SetProgram(in ValirqProgram program)
    {
        fixed (ValirqProgram* p = &program) Check(Posix.Ioctl(_fd, ValirqIoc.SetProgram, p), "ioctl(VALIRQ_IOC_SET_PROGRAM)");
    }

    public void SetQuiesce(in ValirqQuiesce quiesce)
    {
        fixed (ValirqQuiesce* p = &quiesce) Check(Posix.Ioctl(_fd, ValirqIoc.SetQuiesce, p), "ioctl(VALIRQ_IOC_SET_QUIESCE)");
    }

    /// <summary>The init and disable steps (VALIRQ_IOC_SET_INIT): run at ENABLE, and before the handlers go.</summary>
    public void SetInit(in ValirqInit init)
    {
        fixed (ValirqInit* p = &init) Check(Posix.Ioctl(_fd, ValirqIoc.SetInit, p), "ioctl(VALIRQ_IOC_SET_INIT)");
    }

    public void Enable(uint mode, uint flags = 0, uint vectors = 0)
    {
        var e = new ValirqEnable { Mode = mode, Flags = flags, Vectors = vectors };
        Check(Posix.Ioctl(_fd, ValirqIoc.Enable, &e), $"ioctl(VALIRQ_IOC_ENABLE, mode {mode})");
    }

    public void Disable() => Check(Posix.Ioctl(_fd, ValirqIoc.Disable, null), "ioctl(VALIRQ_IOC_DISABLE)");

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for one event record and reads it. Returns 1 and the record,
    /// 0 on timeout, or -errno. EINTR is retried.
    /// </summary>
    public int WaitEvent(int timeoutMs, out ValirqEvent ev)
    {
        var r = Posix.PollIn(_fd, timeoutMs);
        if (r <= 0)
        {
            ev = default;
            GC.KeepAlive(_handle);
            return r;
        }
        ValirqEvent record;
        var n = Posix.ReadReady(_fd, &record, (nuint)sizeof(ValirqEvent));
        GC.KeepAlive(_handle);
        if (n != sizeof(ValirqEvent))
        {
            ev = default;
            return n < 0 ? (int)n : -Errno.EIO;
        }
        ev = record;
        return 1;
    }

    /// <summary>
    /// Maps a memory BAR through valirq (revocable by the kernel: see the UAPI header). valirq maps only
    /// page-aligned BARs of at least a page (VALIRQ_BAR_MMAP): a smaller one shares its page with other
    /// registers. The caller owns the mapping (Devices.MappedBar wraps it as a window on the card).
    /// </summary>
    public MappedMemory MapBar(int bar, in ValirqBarInfo info)
    {
        if ((info.Flags & Valirq.BarMmap) == 0)
            throw new InteropException($"mmap(BAR {bar})", Errno.EINVAL,
                $"{Path}: valirq cannot map BAR {bar} ({((info.Flags & Valirq.BarPresent) == 0 ? "absent" : (info.Flags & Valirq.BarIo) != 0 ? "an I/O BAR" : $"{info.Size} bytes, smaller than a page or not page-aligned")}); acknowledge the card in the kernel instead (mode intx-shared with the plan's ack steps)");
        return MappedMemory.Map(_handle, (nuint)info.Size, Valirq.MmapOffset(bar), $"mmap(BAR {bar}, {info.Size} bytes)");
    }

    /// <summary>Re-arms the interrupt (VALIRQ_IOC_ACK). Returns 0 or -errno (EAGAIN: the card still interrupts).</summary>
    public int Ack()
    {
        var r = LoopCalls.IoctlShort(_fd, ValirqIoc.Ack, null);
        GC.KeepAlive(_handle);
        return r < 0 ? r : 0;
    }

    /// <summary>Closes the device: valirq's release runs the quiesce program in the kernel.</summary>
    public void Dispose() => _handle.Dispose();
}
