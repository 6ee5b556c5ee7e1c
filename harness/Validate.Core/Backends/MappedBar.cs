using Validate.Interop;

namespace Validate.Backends;

/// <summary>
/// A memory BAR mapped into this process (through sysfs resourceN, or valirq's mmap), with the card's
/// IRQ program run from user space over it: the check (is the card interrupting?) and the ack steps.
/// This is what a user-space driver does when the kernel only masks the line (uio_pci_generic, valirq's
/// PCI 2.3 mode). Allocation-free.
/// </summary>
public sealed unsafe class MappedBar(byte* address, nuint size, int bar)
{
    public nuint Size { get; } = size;
    public int Bar { get; } = bar;
    public byte* Address { get; private set; } = address;

    /// <summary>Throws unless every register of the program and the stimulus is inside this BAR.</summary>
    public void CheckCovers(in ValirqProgram program, in ValirqReg stimulus, string what)
    {
        void One(in ValirqReg r)
        {
            if (r.Bar != Bar || r.Space != Valirq.SpaceMem || r.Offset + r.Width > Size)
                throw new InteropException("user-space IRQ program", Errno.EINVAL,
                    $"{what}: register BAR {r.Bar} offset 0x{r.Offset:x} is not in the mapped memory BAR {Bar} ({Size} bytes); user-space acknowledgement needs one memory BAR");
        }
        One(stimulus);
        One(program.Check.Reg);
        for (int i = 0; i < program.NAck; i++) One(program.Ack[i].Reg);
    }

    public uint Read(in ValirqReg r) => r.Width switch
    {
        1 => Volatile.Read(ref *(Address + r.Offset)),
        2 => Volatile.Read(ref *(ushort*)(Address + r.Offset)),
        _ => Volatile.Read(ref *(uint*)(Address + r.Offset)),
    };

    public void Write(in ValirqReg r, uint v)
    {
        switch (r.Width)
        {
            case 1: Volatile.Write(ref *(Address + r.Offset), (byte)v); break;
            case 2: Volatile.Write(ref *(ushort*)(Address + r.Offset), (ushort)v); break;
            default: Volatile.Write(ref *(uint*)(Address + r.Offset), v); break;
        }
    }

    /// <summary>The program's check, and when the card is interrupting, its ack steps. Returns whether it was.</summary>
    public bool CheckAndAck(in ValirqProgram p)
    {
        ref readonly var check = ref p.Check;
        var status = Read(check.Reg);
        var masked = status & check.Mask;
        var interrupting = check.Op == Valirq.OpReadEq ? masked == check.Value : masked != check.Value;
        if (!interrupting) return false;
        for (int i = 0; i < p.NAck; i++)
        {
            ref readonly var s = ref p.Ack[i];
            switch (s.Op)
            {
                case Valirq.OpWrite: Write(s.Reg, s.Value); break;
                case Valirq.OpWriteStatus: Write(s.Reg, status & s.Mask); break;
                case Valirq.OpSetBits: Write(s.Reg, Read(s.Reg) | s.Value); break;
                case Valirq.OpClearBits: Write(s.Reg, Read(s.Reg) & ~s.Mask); break;
            }
        }
        return true;
    }

    /// <summary>
    /// Maps memory BAR <paramref name="bar"/> of a PCI function through sysfs (resourceN): the harness's own
    /// window on the card, whatever driver it is bound to (valirq does not reserve its BARs for this reason).
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
        if (map == (void*)-1) throw new InteropException("mmap", mmapErrno, resource);
        return new MappedBar((byte*)map, size, bar);
    }

    public void Unmap()
    {
        if (Address == null) return;
        _ = Tmds.Linux.LibC.munmap(Address, (Tmds.Linux.size_t)Size);
        Address = null;
    }
}
