namespace Validate.Devices;

/// <summary>
/// A PCI function's configuration space as sysfs gives it (/sys/bus/pci/devices/ADDRESS/config): the
/// command register's Interrupt Disable bit (PCI 2.3) and the capability list. The one place the harness
/// knows these offsets.
/// </summary>
public static class PciConfig
{
    /// <summary>The command register (16 bits at 0x04) and its bit 10, Interrupt Disable: set, the function asserts no INTx.</summary>
    public const int Command = 0x04;
    public const ushort CommandIntxDisable = 1 << 10;
    public const ushort CommandBusMaster = 1 << 2;

    private const int Status = 0x06, StatusCapabilitiesList = 0x10, CapPointer = 0x34, CapMsi = 0x05, CapMsix = 0x11;

    public static string PathOf(string pciAddress) => Path.Combine(PciDevice.SysfsRoot, pciAddress, "config");

    /// <summary>Whether INTx is disabled at the card (command register bit 10); false when config space cannot be read.</summary>
    public static bool IntxDisabled(string pciAddress)
    {
        try
        {
            using var f = File.OpenRead(PathOf(pciAddress));
            Span<byte> cmd = stackalloc byte[2];
            f.Position = Command;
            return f.Read(cmd) == 2 && (BitConverter.ToUInt16(cmd) & CommandIntxDisable) != 0;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Whether bus mastering is on (command register bit 2); false when config space cannot be read.</summary>
    public static bool BusMaster(string pciAddress)
    {
        try
        {
            using var f = File.OpenRead(PathOf(pciAddress));
            Span<byte> cmd = stackalloc byte[2];
            f.Position = Command;
            return f.Read(cmd) == 2 && (BitConverter.ToUInt16(cmd) & CommandBusMaster) != 0;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Whether the function asserts INTx now (status register bit 3, Interrupt Status, PCI 2.3; set whatever
    /// Interrupt Disable says); null when config space cannot be read. The one way to ask a card whose
    /// interrupt status clears when read.
    /// </summary>
    public static bool? IntxAsserted(string pciAddress)
    {
        try
        {
            using var f = File.OpenRead(PathOf(pciAddress));
            Span<byte> st = stackalloc byte[2];
            f.Position = Status;
            return f.Read(st) == 2 ? (BitConverter.ToUInt16(st) & StatusInterrupt) != 0 : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private const ushort StatusInterrupt = 1 << 3;

    /// <summary>Walks the capability list in config space (the first 256 bytes are readable without root).</summary>
    public static (bool Msi, bool Msix) Capabilities(string configPath)
    {
        byte[] cfg;
        try { cfg = File.ReadAllBytes(configPath); }
        catch (IOException) { return (false, false); }
        catch (UnauthorizedAccessException) { return (false, false); }
        return Capabilities(cfg);
    }

    public static (bool Msi, bool Msix) Capabilities(ReadOnlySpan<byte> cfg) => (FindCapability(cfg, CapMsi) >= 0, FindCapability(cfg, CapMsix) >= 0);

    /// <summary>The offset of capability <paramref name="id"/> in the list, or -1 (no list, not in it, or beyond what was read).</summary>
    public static int FindCapability(ReadOnlySpan<byte> cfg, byte id)
    {
        if (cfg.Length < 0x40 || (cfg[Status] & StatusCapabilitiesList) == 0) return -1;
        int ptr = cfg[CapPointer] & 0xfc;
        for (int hops = 0; ptr >= 0x40 && ptr + 1 < cfg.Length && hops < 48; hops++)
        {
            if (cfg[ptr] == id) return ptr;
            ptr = cfg[ptr + 1] & 0xfc;
        }
        return -1;
    }

    /// <summary>
    /// Whether the capability list points beyond the bytes read: sysfs gives an unprivileged reader the
    /// 64-byte header only, so the capabilities (MSI, MSI-X) cannot be known.
    /// </summary>
    public static bool CapabilitiesUnreadable(ReadOnlySpan<byte> cfg) =>
        cfg.Length >= 0x40 && (cfg[Status] & StatusCapabilitiesList) != 0 && (cfg[CapPointer] & 0xfc) >= cfg.Length;

    /// <summary>Interrupt Pin (0x3d): 0 none, 1 to 4 INTA# to INTD#.</summary>
    public const int InterruptPin = 0x3d;

    /// <summary>Subsystem vendor and device ids (type 0 header, 0x2c and 0x2e).</summary>
    public const int SubsystemVendor = 0x2c, SubsystemDevice = 0x2e;

    /// <summary>The MSI capability: how many vectors the function asks for (Multiple Message Capable), 64-bit addressing, per-vector masking; null without one.</summary>
    public static MsiCapability? Msi(ReadOnlySpan<byte> cfg)
    {
        var at = FindCapability(cfg, CapMsi);
        if (at < 0 || at + 4 > cfg.Length) return null;
        var control = BitConverter.ToUInt16(cfg[(at + 2)..]);
        return new MsiCapability(1 << Math.Min((control >> 1) & 7, 5), (control & 0x80) != 0, (control & 0x100) != 0);
    }

    /// <summary>The MSI-X capability: table size, and the BAR and offset of the table; null without one.</summary>
    public static MsixCapability? Msix(ReadOnlySpan<byte> cfg)
    {
        var at = FindCapability(cfg, CapMsix);
        if (at < 0 || at + 8 > cfg.Length) return null;
        var control = BitConverter.ToUInt16(cfg[(at + 2)..]);
        var table = BitConverter.ToUInt32(cfg[(at + 4)..]);
        return new MsixCapability((control & 0x7ff) + 1, (int)(table & 7), table & ~7u);
    }

    /// <summary>
    /// Whether PCI 2.3 INTx masking works (the command register's Interrupt Disable bit takes a write), as
    /// the kernel decides it at enumeration (pci_intx_mask_broken) and keeps to itself: a set bit was
    /// written, so it works (before PCI 2.3 it was reserved, reading 0); a clear bit is set for a moment,
    /// read back and put back, so the card is only ever masked, never unmasked, by asking. Null when
    /// config space cannot be read or written (not root).
    /// </summary>
    public static bool? ProbeIntxMasking(string configPath)
    {
        try
        {
            using var h = File.OpenHandle(configPath, FileMode.Open, FileAccess.ReadWrite);
            var buf = new byte[2];
            return ProbeIntxMasking(
                () => RandomAccess.Read(h, buf, Command) == 2 ? BitConverter.ToUInt16(buf) : null,
                v => { BitConverter.TryWriteBytes(buf, v); RandomAccess.Write(h, buf, Command); });
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The probe of <see cref="ProbeIntxMasking(string)"/> over a command register read and written through the two functions.</summary>
    public static bool? ProbeIntxMasking(Func<ushort?> readCommand, Action<ushort> writeCommand)
    {
        if (readCommand() is not { } original) return null;
        if ((original & CommandIntxDisable) != 0) return true;
        writeCommand((ushort)(original | CommandIntxDisable));
        var after = readCommand();
        writeCommand(original);
        return after is { } a ? (a & CommandIntxDisable) != 0 : null;
    }
}

/// <summary>A function's MSI capability: the vectors it can ask for (1 to 32), 64-bit message address, per-vector masking.</summary>
public sealed record MsiCapability(int Vectors, bool Address64, bool PerVectorMasking);

/// <summary>A function's MSI-X capability: the table's size (vectors) and where the table is (BAR, offset).</summary>
public sealed record MsixCapability(int TableSize, int TableBar, uint TableOffset);
