using System.Globalization;

namespace Validate.Devices;

/// <summary>A PCI function as sysfs describes it (/sys/bus/pci/devices/DOMAIN:BUS:DEV.FN).</summary>
public sealed record PciDevice(
    string Address,
    ushort Vendor,
    ushort Device,
    byte Revision,
    uint Class,
    int Irq,
    string? Driver,
    bool HasMsi,
    bool HasMsix)
{
    public const string SysfsRoot = "/sys/bus/pci/devices";

    /// <summary>All PCI functions under <paramref name="root"/>, in address order.</summary>
    public static IReadOnlyList<PciDevice> Enumerate(string root = SysfsRoot)
    {
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal).Select(Read).ToList();
    }

    public static PciDevice Read(string dir)
    {
        var driverLink = Path.Combine(dir, "driver");
        string? driver = Directory.Exists(driverLink) ? Path.GetFileName(new DirectoryInfo(driverLink).ResolveLinkTarget(true)?.FullName ?? "") : null;
        var (msi, msix) = Capabilities(Path.Combine(dir, "config"));
        return new PciDevice(
            Path.GetFileName(dir),
            (ushort)Hex(dir, "vendor"),
            (ushort)Hex(dir, "device"),
            (byte)Hex(dir, "revision"),
            Hex(dir, "class"),
            int.TryParse(ReadOrEmpty(dir, "irq"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var irq) ? irq : 0,
            string.IsNullOrEmpty(driver) ? null : driver,
            msi,
            msix);
    }

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
        const int Status = 0x06, CapabilitiesList = 0x10, CapPointer = 0x34, CapMsi = 0x05, CapMsix = 0x11;
        if (cfg.Length < 0x40 || (cfg[Status] & CapabilitiesList) == 0) return (false, false);
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

    private static string ReadOrEmpty(string dir, string name)
    {
        try { return File.ReadAllText(Path.Combine(dir, name)).Trim(); }
        catch (IOException) { return ""; }
    }

    private static uint Hex(string dir, string name)
    {
        var s = ReadOrEmpty(dir, name);
        if (s.StartsWith("0x", StringComparison.Ordinal)) s = s[2..];
        return uint.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : 0;
    }

    /// <summary>
    /// For a function bound to valirq: its mode, bus mastering, last release, why the kernel holds INTx
    /// disabled, and its counters, from /sys/class/misc/valirq-ADDRESS/ ("msi busmaster=1
    /// last_release=quiesced intx_hold=none hardirqs=10 ..."; <see cref="ValirqSysfs.Describe"/>); null otherwise.
    /// </summary>
    public string? ValirqState(string classRoot = ValirqSysfs.ClassRoot)
    {
        if (Driver != "valirq") return null;
        var state = ValirqSysfs.Read(Address, classRoot);
        return state.Present ? state.Describe() : null;
    }

    /// <summary>Which handlers /proc/interrupts lists for each IRQ number ("uio_pci_generic, uio_pci_generic").</summary>
    public static IReadOnlyDictionary<int, string[]> InterruptHandlers(string procInterrupts = "/proc/interrupts")
    {
        var map = new Dictionary<int, string[]>();
        if (!File.Exists(procInterrupts)) return map;
        var lines = File.ReadAllLines(procInterrupts);
        if (lines.Length == 0) return map;
        var cpus = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !int.TryParse(line.AsSpan(0, colon).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var irq)) continue;
            // After the per-CPU counts: chip name, hwirq-type, then the comma-separated action names.
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var rest = string.Join(' ', fields.Skip(cpus + 2));
            map[irq] = rest.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        return map;
    }
}
