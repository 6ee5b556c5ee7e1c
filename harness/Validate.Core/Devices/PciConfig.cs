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

    public static (bool Msi, bool Msix) Capabilities(ReadOnlySpan<byte> cfg)
    {
        if (cfg.Length < 0x40 || (cfg[Status] & StatusCapabilitiesList) == 0) return (false, false);
        bool msi = false, msix = false;
        int ptr = cfg[CapPointer] & 0xfc;
        for (int hops = 0; ptr >= 0x40 && ptr + 1 < cfg.Length && hops < 48; hops++)
        {
            if (cfg[ptr] == CapMsi) msi = true;
            if (cfg[ptr] == CapMsix) msix = true;
            ptr = cfg[ptr + 1] & 0xfc;
        }
        return (msi, msix);
    }
}
