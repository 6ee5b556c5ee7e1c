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
        var (msi, msix) = PciConfig.Capabilities(Path.Combine(dir, "config"));
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
}
