using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Validate.Devices;

/// <summary>How a BAR decodes: 32-bit memory, 64-bit memory, I/O ports.</summary>
public enum BarKind { Mem32, Mem64, Io }

/// <summary>One BAR of a function, as sysfs gives it (resource): its kind, whether prefetchable, its size in bytes.</summary>
public sealed record PciBar(int Index, BarKind Kind, bool Prefetchable, ulong Size)
{
    public bool IsMemory => Kind != BarKind.Io;

    /// <summary>"mem32", "mem64" or "io".</summary>
    public string KindName => Kind switch { BarKind.Mem32 => "mem32", BarKind.Mem64 => "mem64", _ => "io" };

    /// <summary>"BAR 0 mem64 prefetchable 16 MiB".</summary>
    public override string ToString() => $"BAR {Index} {KindName}{(Prefetchable ? " prefetchable" : "")} {CardSurvey.Bytes(Size)}";
}

/// <summary>
/// Everything the machine says of one PCI function that a test plan starts from (validate new-plan): its ids
/// and name, BARs, MSI and MSI-X capabilities with their vector counts, INTx pin and IRQ, whether PCI 2.3
/// INTx masking works, its driver and its IOMMU group. Read from sysfs under a root that a test replaces
/// with a fake tree; the config space past the 64-byte header needs root, as lspci's does.
/// </summary>
public sealed partial record CardSurvey(
    string Address,
    string Name,
    ushort Vendor,
    ushort Device,
    byte Revision,
    uint Class,
    ushort SubsystemVendor,
    ushort SubsystemDevice,
    IReadOnlyList<PciBar> Bars,
    MsiCapability? Msi,
    MsixCapability? Msix,
    int InterruptPin,
    int Irq,
    bool IntxMasking,
    string IntxMaskingHow,
    string? Driver,
    int? IommuGroup)
{
    public const string SysRoot = "/sys";

    /// <summary>The function's INTx pin as the spec names it: "A" to "D"; null for none.</summary>
    public string? PinName => InterruptPin is >= 1 and <= 4 ? ((char)('A' + InterruptPin - 1)).ToString() : null;

    /// <summary>"DDDD:BB:DD.F", or "BB:DD.F" as lspci prints it (domain 0000 then); null when it is neither.</summary>
    public static string? NormalizeAddress(string address)
    {
        var a = address.Trim().ToLowerInvariant();
        if (ShortAddress().IsMatch(a)) a = "0000:" + a;
        return FullAddress().IsMatch(a) ? a : null;
    }

    /// <summary>
    /// Reads the function at <paramref name="address"/> under <paramref name="sysRoot"/> (/sys, or a test's
    /// tree). <paramref name="name"/> names it from its address (default: <see cref="LspciName"/>, else
    /// "vendor:device"); <paramref name="probeIntxMasking"/> decides masking from the config file's path
    /// (default: <see cref="PciConfig.ProbeIntxMasking(string)"/>). Errors are one line with the fix: no such
    /// function (exit 4, `validate devices`), config space beyond the header unreadable (exit 4, root).
    /// </summary>
    public static CardSurvey Read(string address, string sysRoot = SysRoot, Func<string, string?>? name = null, Func<string, bool?>? probeIntxMasking = null)
    {
        var dir = Path.Combine(sysRoot, "bus/pci/devices", address);
        if (!Directory.Exists(dir))
            throw new ValidateException(ExitCodes.SetupError, $"no PCI function at {address} on this machine; `validate devices` lists the cards (--all lists every function)");
        var basic = PciDevice.Read(dir);
        var configPath = Path.Combine(dir, "config");
        byte[] cfg;
        try { cfg = File.ReadAllBytes(configPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ValidateException(ExitCodes.SetupError, $"{configPath}: {e.Message}; run as root (config space is read as lspci -vv reads it)");
        }
        if (cfg.Length < 0x40)
            throw new ValidateException(ExitCodes.SetupError, $"{configPath}: {cfg.Length} bytes of config space, not the 64 of a PCI header; is {address} a PCI function?");
        if (PciConfig.CapabilitiesUnreadable(cfg))
            throw new ValidateException(ExitCodes.SetupError,
                $"{configPath}: only the 64-byte header is readable, not the capabilities (MSI, MSI-X) behind it: run validate new-plan as root");

        var group = Interop.VfioSetup.GroupOf(address, out _, sysRoot);
        var (masking, how) = DecideIntxMasking(basic.Driver, cfg[PciConfig.InterruptPin], configPath, probeIntxMasking ?? PciConfig.ProbeIntxMasking);
        return new CardSurvey(
            address,
            (name ?? LspciName)(address) is { Length: > 0 } n ? n : $"{basic.Vendor:x4}:{basic.Device:x4}",
            basic.Vendor, basic.Device, basic.Revision, basic.Class,
            BitConverter.ToUInt16(cfg, PciConfig.SubsystemVendor), BitConverter.ToUInt16(cfg, PciConfig.SubsystemDevice),
            ReadBars(dir),
            PciConfig.Msi(cfg), PciConfig.Msix(cfg),
            cfg[PciConfig.InterruptPin], basic.Irq, masking, how, basic.Driver, group);
    }

    private static (bool Works, string How) DecideIntxMasking(string? driver, int pin, string configPath, Func<string, bool?> probe)
    {
        if (pin == 0) return (false, "no INTx pin");
        // uio_pci_generic binds only a card whose masking works (the kernel's pci_intx_mask_supported at probe).
        if (driver == "uio_pci_generic") return (true, "works: uio_pci_generic is bound, which the kernel allows only then");
        return probe(configPath) switch
        {
            true => (true, "works: the Interrupt Disable bit takes a write"),
            false => (false, "does not work: the Interrupt Disable bit does not take a write (a card before PCI 2.3)"),
            null => (false, "unknown: config space could not be written to try it (not root?)"),
        };
    }

    // include/linux/ioport.h: what sysfs resource's third column holds.
    private const ulong IoresourceIo = 0x100, IoresourceMem = 0x200, IoresourcePrefetch = 0x2000, IoresourceMem64 = 0x100000;

    /// <summary>BARs 0 to 5 from sysfs resource ("start end flags" a line, the first six lines the BARs; an unused one all zero).</summary>
    public static IReadOnlyList<PciBar> ReadBars(string functionDir)
    {
        var bars = new List<PciBar>();
        string[] lines;
        try { lines = File.ReadAllLines(Path.Combine(functionDir, "resource")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return bars; }
        for (int i = 0; i < Math.Min(6, lines.Length); i++)
        {
            var f = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3 || !TryHex(f[0], out var start) || !TryHex(f[1], out var end) || !TryHex(f[2], out var flags)) continue;
            if ((flags & (IoresourceIo | IoresourceMem)) == 0 || end < start || start == 0 && end == 0) continue;
            var kind = (flags & IoresourceIo) != 0 ? BarKind.Io : (flags & IoresourceMem64) != 0 ? BarKind.Mem64 : BarKind.Mem32;
            bars.Add(new PciBar(i, kind, kind != BarKind.Io && (flags & IoresourcePrefetch) != 0, end - start + 1));
        }
        return bars;
    }

    private static bool TryHex(string s, out ulong v) =>
        ulong.TryParse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out v);

    /// <summary>
    /// The function's name as `lspci -mm -s ADDRESS` prints it: its vendor and device fields ("Intel
    /// Corporation" "82574L Gigabit Network Connection"), joined; null when lspci is not installed or says nothing.
    /// </summary>
    public static string? LspciName(string address)
    {
        try
        {
            var (status, stdout, _) = ProcessRunner.Capture("lspci", ["-mm", "-s", address], TimeSpan.FromSeconds(10));
            return status == 0 ? NameFromLspciMm(stdout) : null;
        }
        catch (Win32Exception)
        {
            return null; // no lspci (pciutils) on this machine
        }
    }

    /// <summary>Vendor and device of the first line of `lspci -mm` output: its second and third quoted fields.</summary>
    public static string? NameFromLspciMm(string output)
    {
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (line is null) return null;
        var quoted = Quoted().Matches(line).Select(m => m.Groups[1].Value).ToList();
        if (quoted.Count < 3) return null;
        var n = $"{quoted[1]} {quoted[2]}".Trim();
        return n.Length > 0 ? n : null;
    }

    /// <summary>"4 KiB", "1 MiB", "32 B".</summary>
    public static string Bytes(ulong n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var u = 0;
        while (u < units.Length - 1 && n >= 1024 && n % 1024 == 0) { n /= 1024; u++; }
        return string.Create(CultureInfo.InvariantCulture, $"{n} {units[u]}");
    }

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex Quoted();

    [GeneratedRegex("^[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")]
    private static partial Regex ShortAddress();

    [GeneratedRegex("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")]
    private static partial Regex FullAddress();
}
