using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// valirq's module-level debugfs window (/sys/kernel/debug/valirq/window): a memory BAR of any PCI
/// function, whatever its driver, read and written by pread/pwrite of the register's width at its offset.
/// The harness's side of a card bound to vfio-pci, whose user-space driver holds the BARs: sysfs
/// resourceN cannot be mapped then (IO_STRICT_DEVMEM), and the raises must not depend on the driver under
/// test. The window targets its function once (VALIRQ_IOC_WINDOW) and holds it until closed; valirq must
/// be loaded (not bound). Accesses use the raw descriptor, cached at open (<see cref="FileDescriptor"/>).
/// </summary>
public sealed unsafe class WindowBar : BarWindow
{
    private readonly FileDescriptor _handle;
    private readonly int _fd;
    private readonly string _describe;

    private WindowBar(FileDescriptor handle, int bar, ulong size, string describe)
    {
        _handle = handle;
        _fd = handle.Number;
        Bar = bar;
        Size = size;
        _describe = describe;
    }

    public override int Bar { get; }
    public override ulong Size { get; }
    public override string Describe => _describe;

    public static string PathOf => $"{ValirqDebugfs.Root}/valirq/window";

    public static WindowBar Open(string pciAddress, int bar)
    {
        var path = PathOf;
        if (!ValirqDebugfs.IsMounted())
            throw new ValidateException(ExitCodes.SetupError, $"debugfs is not mounted at {ValirqDebugfs.Root}, where valirq's window on a card is ({path}): {ValirqDebugfs.Mount}");
        if (!File.Exists(path))
            throw new ValidateException(ExitCodes.SetupError,
                $"{path} is missing: the harness reaches a card bound to vfio-pci through valirq's debugfs window; load valirq (insmod kmod/valirq.ko, or modprobe valirq when installed by DKMS)");
        var target = PciAddress.Parse(pciAddress);
        ulong size = 0;
        try { size = (ulong)new FileInfo($"{PciDevice.SysfsRoot}/{pciAddress}/resource{bar}").Length; }
        catch (IOException) { }
        var handle = FileDescriptor.Open(path, OpenMode.ReadWrite);
        try
        {
            var w = new ValirqWindow { Domain = target.Domain, Bus = target.Bus, Devfn = target.Devfn, Bar = (byte)bar };
            var r = Posix.Ioctl(handle.Number, ValirqIoc.Window, &w);
            if (r < 0)
                throw new ValidateException(ExitCodes.SetupError, -r == Errno.ENODEV
                    ? $"{path}: VALIRQ_IOC_WINDOW: no PCI function {pciAddress}"
                    : -r == Errno.EINVAL ? $"{path}: VALIRQ_IOC_WINDOW: BAR {bar} of {pciAddress} is not a memory BAR (the plan's registers must be in one)"
                    : $"{path}: VALIRQ_IOC_WINDOW on {pciAddress} BAR {bar}: {Errno.Name(-r)} (a valirq without the window hook? rebuild and load kmod/)");
            return new WindowBar(handle, bar, size, $"{path} ({pciAddress} BAR {bar})");
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
            throw new InteropException($"pread of {r.Width} bytes at 0x{r.Offset:x}", n < 0 ? (int)-n : Errno.EIO, _describe);
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
        uint v = 0;
        _ = Posix.Pread(-1, &v, 0, 0);
        _ = Posix.Pwrite(-1, &v, 0, 0);
    }

    public override void Dispose() => _handle.Dispose();
}

/// <summary>A PCI address DDDD:BB:DD.F taken apart as the kernel names a function (domain, bus, devfn).</summary>
public readonly record struct PciAddress(uint Domain, byte Bus, byte Devfn)
{
    public static PciAddress Parse(string address)
    {
        var p = address.Split(':', '.');
        if (p.Length != 4) throw new ValidateException(ExitCodes.InputError, $"'{address}' is not a PCI address DDDD:BB:DD.F");
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        const System.Globalization.NumberStyles hex = System.Globalization.NumberStyles.HexNumber;
        if (!uint.TryParse(p[0], hex, ci, out var d) || !byte.TryParse(p[1], hex, ci, out var b)
            || !byte.TryParse(p[2], hex, ci, out var dev) || !byte.TryParse(p[3], hex, ci, out var fn) || dev > 31 || fn > 7)
            throw new ValidateException(ExitCodes.InputError, $"'{address}' is not a PCI address DDDD:BB:DD.F");
        return new PciAddress(d, b, (byte)((dev << 3) | fn));
    }
}
