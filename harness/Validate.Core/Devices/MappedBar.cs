using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// A memory BAR mapped into this process (through sysfs resourceN of a card not bound to valirq, or
/// valirq's own mmap for the driver of a card), with the card's IRQ program run from user space over it:
/// the check (is the card interrupting?) and the ack steps. This is what a user-space driver does when the
/// kernel only masks the line (uio_pci_generic, valirq's PCI 2.3 mode). Allocation-free.
/// </summary>
public sealed unsafe class MappedBar(byte* address, nuint size, int bar, string describe = "mapped BAR") : BarWindow
{
    public override ulong Size { get; } = size;
    public override int Bar { get; } = bar;
    public override string Describe { get; } = describe;
    public byte* Address { get; private set; } = address;

    public override uint Read(in ValirqReg r) => r.Width switch
    {
        1 => Volatile.Read(ref *(Address + r.Offset)),
        2 => Volatile.Read(ref *(ushort*)(Address + r.Offset)),
        _ => Volatile.Read(ref *(uint*)(Address + r.Offset)),
    };

    public override bool TryWrite(in ValirqReg r, uint v)
    {
        switch (r.Width)
        {
            case 1: Volatile.Write(ref *(Address + r.Offset), (byte)v); break;
            case 2: Volatile.Write(ref *(ushort*)(Address + r.Offset), (ushort)v); break;
            default: Volatile.Write(ref *(uint*)(Address + r.Offset), v); break;
        }
        return true;
    }

    /// <summary>
    /// Maps memory BAR <paramref name="bar"/> of a PCI function through sysfs (resourceN): the harness's own
    /// window on a card bound to uio_pci_generic or to nothing. Not for a card bound to valirq: valirq
    /// reserves its BARs, and the kernel (IO_STRICT_DEVMEM) refuses the mapping and zaps an existing one
    /// when a driver reserves them (use <see cref="BarWindow.ForCard"/>, which picks debugfs barN there).
    /// </summary>
    public static MappedBar MapSysfsResource(string pciAddress, int bar)
    {
        var resource = $"/sys/bus/pci/devices/{pciAddress}/resource{bar}";
        var bytes = System.Text.Encoding.UTF8.GetBytes(resource + "\0");
        int fd;
        fixed (byte* p = bytes) fd = Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDWR | Tmds.Linux.LibC.O_SYNC | Tmds.Linux.LibC.O_CLOEXEC, 0);
        if (fd < 0) throw new InteropException("open", Tmds.Linux.LibC.errno, resource);
        var size = (nuint)new FileInfo(resource).Length;
        var map = Tmds.Linux.LibC.mmap(null, (Tmds.Linux.size_t)size, Tmds.Linux.LibC.PROT_READ | Tmds.Linux.LibC.PROT_WRITE, Tmds.Linux.LibC.MAP_SHARED, fd, 0);
        var mmapErrno = Tmds.Linux.LibC.errno;
        _ = Tmds.Linux.LibC.close(fd);
        if (map == (void*)-1)
        {
            if (PciBinding.CurrentDriver(pciAddress) == "valirq")
                throw new InteropException("mmap", mmapErrno, $"{resource} (the card is bound to valirq, which holds its BARs: use valirq's debugfs bar{bar})");
            throw new InteropException("mmap", mmapErrno, resource);
        }
        return new MappedBar((byte*)map, size, bar, resource);
    }

    public void Unmap()
    {
        if (Address == null) return;
        _ = Tmds.Linux.LibC.munmap(Address, (Tmds.Linux.size_t)(nuint)Size);
        Address = null;
    }

    public override void Dispose() => Unmap();
}
