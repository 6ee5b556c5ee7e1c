using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// The harness's own window on one BAR of a card, independent of the driver under test: register reads
/// and writes, and the card's IRQ program (check, ack) run from user space over them. Which window
/// depends on the driver the card is bound to (<see cref="ForCard"/>): valirq holds its cards' BARs
/// reserved, so sysfs resourceN cannot be mapped (IO_STRICT_DEVMEM) and valirq's debugfs barN file is
/// used instead (pread/pwrite of 1, 2 or 4 bytes); any other card (uio_pci_generic, unbound) is mapped
/// through sysfs resourceN (<see cref="MappedBar"/>). Reads and <see cref="TryWrite"/> allocate nothing.
/// </summary>
public abstract class BarWindow : IDisposable
{
    public abstract int Bar { get; }
    public abstract ulong Size { get; }
    /// <summary>What this window is (for messages): a path.</summary>
    public abstract string Describe { get; }

    /// <summary>Reads a register. A window that can fail (debugfs) throws <see cref="InteropException"/>.</summary>
    public abstract uint Read(in ValirqReg r);

    /// <summary>Writes a register; false when the write did not reach the kernel (<see cref="LastErrno"/> says why). Allocation-free.</summary>
    public abstract bool TryWrite(in ValirqReg r, uint v);

    /// <summary>errno of the last failed <see cref="TryWrite"/>.</summary>
    public int LastErrno { get; protected set; }

    /// <summary>Writes a register; throws <see cref="InteropException"/> when the write failed.</summary>
    public void Write(in ValirqReg r, uint v)
    {
        if (!TryWrite(r, v)) throw new InteropException($"write of 0x{v:x} to register 0x{r.Offset:x}", LastErrno, Describe);
    }

    /// <summary>Binds whatever the window calls (P/Invokes), without touching the card: a real-time loop calls it before it counts.</summary>
    public virtual void Prepare() { }

    /// <summary>The program's check, and when the card is interrupting, its ack steps (<see cref="RegisterProgram"/>). Returns whether it was.</summary>
    public bool CheckAndAck(in ValirqProgram p) => RegisterProgram.CheckAndAck(this, p);

    /// <summary>Throws unless every register of the program and the stimulus is inside this BAR (memory).</summary>
    public void CheckCovers(in ValirqProgram program, in ValirqReg stimulus, string what)
    {
        void One(in ValirqReg r)
        {
            if (r.Bar != Bar || r.Space != Valirq.SpaceMem || r.Offset + r.Width > Size)
                throw new InteropException("user-space IRQ program", Errno.EINVAL,
                    $"{what}: register BAR {r.Bar} offset 0x{r.Offset:x} is not in the memory BAR {Bar} ({Size} bytes); user-space acknowledgement needs one memory BAR");
        }
        One(stimulus);
        One(program.Check.Reg);
        for (int i = 0; i < program.NAck; i++) One(program.Ack[i].Reg);
    }

    public abstract void Dispose();

    /// <summary>
    /// The window on BAR <paramref name="bar"/> of a card, chosen by the driver it is bound to now: valirq:
    /// debugfs barN (waiting up to <paramref name="waitMs"/> for it to appear after a bind); vfio-pci:
    /// valirq's module-level debugfs window (<see cref="WindowBar"/>); otherwise sysfs resourceN mapped. Throws <see cref="ValidateException"/> (set-up, exit 4) with the fix when
    /// debugfs is not there.
    /// </summary>
    public static BarWindow ForCard(string pciAddress, int bar, int waitMs = 0) =>
        PciBinding.CurrentDriver(pciAddress) switch
        {
            "valirq" => DebugfsBar.Open(pciAddress, bar, waitMs),
            // vfio-pci's user holds the BARs (its mmap requests them): valirq's module-level window.
            "vfio-pci" => WindowBar.Open(pciAddress, bar),
            _ => MappedBar.MapSysfsResource(pciAddress, bar),
        };
}

/// <summary>
/// valirq's debugfs window on a BAR of a card it is bound to (/sys/kernel/debug/valirq/ADDRESS/barN):
/// pread/pwrite of exactly the register's width at its offset. The file goes away with the binding (unbind,
/// rmmod): later accesses fail (EIO, ENODEV), and an open file holds a reference on the valirq module, so
/// close it before rmmod. The descriptor is owned by a <see cref="FileDescriptor"/>; reads and writes use
/// its raw number, cached at open (see <see cref="FileDescriptor"/>): dispose it only when no access is in
/// flight (the fault stimulator closes its gate before it replaces a window).
/// </summary>
public sealed unsafe class DebugfsBar : BarWindow
{
    private readonly FileDescriptor _handle;
    private readonly int _fd;
    private readonly string _path;

    private DebugfsBar(FileDescriptor handle, int bar, ulong size)
    {
        _handle = handle;
        _fd = handle.Number;
        _path = handle.Path;
        Bar = bar;
        Size = size;
    }

    public override int Bar { get; }
    public override ulong Size { get; }
    public override string Describe => _path;

    public static DebugfsBar Open(string pciAddress, int bar, int waitMs = 0)
    {
        var path = ValirqDebugfs.Bar(pciAddress, bar);
        var deadline = Environment.TickCount64 + waitMs;
        while (!File.Exists(path) && Environment.TickCount64 < deadline) Thread.Sleep(1);
        if (ValirqDebugfs.Problem(pciAddress, path) is { } problem) throw new ValidateException(ExitCodes.SetupError, problem);
        // The BAR's size as sysfs has it (stat of resourceN works whoever holds the BAR), before the open:
        // from the open on, nothing can throw before the window owns the descriptor.
        ulong size = 0;
        try { size = (ulong)new FileInfo($"{PciDevice.SysfsRoot}/{pciAddress}/resource{bar}").Length; }
        catch (IOException) { }
        var handle = FileDescriptor.Open(path, OpenMode.ReadWrite);
        try
        {
            return new DebugfsBar(handle, bar, size);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public override uint Read(in ValirqReg r)
    {
        uint v = 0;
        var n = Posix.Pread(_fd, &v, r.Width, r.Offset);
        GC.KeepAlive(_handle);
        if (n != r.Width)
            throw new InteropException($"pread of {r.Width} bytes at 0x{r.Offset:x}", n < 0 ? (int)-n : Errno.EIO, _path);
        return r.Width switch { 1 => v & 0xff, 2 => v & 0xffff, _ => v };
    }

    public override bool TryWrite(in ValirqReg r, uint v)
    {
        var n = Posix.Pwrite(_fd, &v, r.Width, r.Offset);
        GC.KeepAlive(_handle);
        if (n == r.Width) return true;
        LastErrno = n < 0 ? (int)-n : Errno.EIO;
        return false;
    }

    public override void Prepare()
    {
        // pread/pwrite on fd -1: EBADF at once, the card untouched; binds both P/Invokes (and errno).
        uint v = 0;
        _ = Posix.Pread(-1, &v, 0, 0);
        _ = Posix.Pwrite(-1, &v, 0, 0);
    }

    public override void Dispose() => _handle.Dispose();
}
