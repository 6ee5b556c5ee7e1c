using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// A memory BAR mapped into this process (through sysfs resourceN of a card not bound to valirq, or
/// valirq's own mmap for the driver of a card), with the card's IRQ program run from user space over it:
/// the check (is the card interrupting?) and the ack steps. This is what a user-space driver does when the
/// kernel only masks the line (uio_pci_generic, valirq's PCI 2.3 mode). Allocation-free.
/// The mapping is owned by a <see cref="MappedMemory"/>; register accesses use its address, cached here
/// (see <see cref="FileDescriptor"/> for the contract): unmap only when no access is in flight.
/// </summary>
public sealed unsafe class MappedBar : BarWindow
{
    private MappedMemory? _map;

    /// <summary>Takes ownership of <paramref name="map"/>: BAR <paramref name="bar"/> of a card, <paramref name="describe"/> for messages.</summary>
    public MappedBar(MappedMemory map, int bar, string describe)
    {
        _map = map;
        Address = map.Address;
        Size = map.Length;
        Bar = bar;
        Describe = describe;
    }

    public override ulong Size { get; }
    public override int Bar { get; }
    public override string Describe { get; }
    public byte* Address { get; private set; }

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
        // The mapping outlives the descriptor: closed here whatever happens.
        using var fd = FileDescriptor.Open(resource, OpenMode.ReadWrite | OpenMode.Sync);
        var size = (nuint)new FileInfo(resource).Length;
        var map = MappedMemory.TryMap(fd, size, 0, out var error);
        if (map is null)
        {
            if (PciBinding.CurrentDriver(pciAddress) == "valirq")
                throw new InteropException("mmap", error, $"{resource} (the card is bound to valirq, which holds its BARs: use valirq's debugfs bar{bar})");
            throw new InteropException("mmap", error, resource);
        }
        try
        {
            return new MappedBar(map, bar, resource);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public void Unmap()
    {
        Address = null;
        _map?.Dispose();
        _map = null;
    }

    public override void Dispose() => Unmap();
}
