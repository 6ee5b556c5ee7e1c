namespace Validate.Lab;

/// <summary>
/// A named arrangement of QEMU <c>edu</c> cards (vendor 0x1234, device 0x11e8) in the virtual lab.
/// The guest reports what it sees (topology.txt) and <see cref="Verify"/> checks it before a result counts.
/// </summary>
public sealed record Topology(string Name, string Description, string Machine, IReadOnlyList<int> EduSlots, bool SharedLine,
    bool BehindRootPort = false)
{
    public const ushort EduVendor = 0x1234;
    public const ushort EduDevice = 0x11e8;

    /// <summary>
    /// single-msi: q35 (PCIe chipset), one card, MSI available.
    /// single-intx: i440FX/PIIX (pc), one card alone on its INTx line.
    /// shared-intx: pc, two cards in slots 4 and 8, which PIIX routes to one INTx line (IO-APIC 11).
    /// msi-reset: q35, one card behind a PCIe root port (at 0000:01:00.0), alone on its secondary bus, so
    /// the function can be reset (the kernel's "bus" reset method); on the root bus an edu card has none.
    /// </summary>
    public static readonly IReadOnlyList<Topology> All =
    [
        new("single-msi", "one edu card on q35, MSI available", "q35", [4], SharedLine: false),
        new("single-intx", "one edu card on pc, alone on its INTx line", "pc", [4], SharedLine: false),
        new("shared-intx", "two edu cards on pc sharing one INTx line", "pc", [4, 8], SharedLine: true),
        new("msi-reset", "one edu card on q35 behind a PCIe root port, resettable (bus reset)", "q35", [5], SharedLine: false,
            BehindRootPort: true),
    ];

    public const string DefaultName = "single-msi";

    public static Topology Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ValidateException(ExitCodes.Usage,
            $"unknown topology '{name}'; choose one of: {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>QEMU arguments for the machine and its cards (slots are PCI device numbers on bus 0).</summary>
    public IEnumerable<string> QemuDeviceArgs()
    {
        yield return "-M";
        yield return Machine;
        foreach (var slot in EduSlots)
        {
            if (BehindRootPort)
            {
                // The root port takes the slot; the card is function 0 of its secondary bus.
                yield return "-device";
                yield return $"pcie-root-port,id=rp{slot},chassis={slot},slot={slot},addr=0x{slot:x}";
                yield return "-device";
                yield return $"edu,bus=rp{slot},addr=0";
                continue;
            }
            yield return "-device";
            yield return $"edu,addr=0x{slot:x}";
        }
    }

    /// <summary>
    /// Checks the cards the guest listed (lines "ADDRESS VENDOR DEVICE IRQ") against this topology.
    /// Returns null when they match, else what is wrong.
    /// </summary>
    public string? Verify(IReadOnlyList<GuestCard> cards)
    {
        if (cards.Count != EduSlots.Count)
            return $"topology {Name}: expected {EduSlots.Count} edu card(s), the guest saw {cards.Count}";
        foreach (var c in cards)
        {
            if (c.Vendor != EduVendor || c.Device != EduDevice)
                return $"topology {Name}: card {c.Address} is {c.Vendor:x4}:{c.Device:x4}, expected {EduVendor:x4}:{EduDevice:x4}";
            if (c.Irq <= 0)
                return $"topology {Name}: card {c.Address} has no IRQ";
            if (BehindRootPort && c.Address.Split(':') is [_, "00", _])
                return $"topology {Name}: card {c.Address} is on the root bus, expected behind a root port";
        }
        var distinctIrqs = cards.Select(c => c.Irq).Distinct().Count();
        if (SharedLine && distinctIrqs != 1)
            return $"topology {Name}: cards should share one INTx line but have IRQs {string.Join(", ", cards.Select(c => c.Irq))}";
        return null;
    }
}

/// <summary>An edu card as the guest listed it in topology.txt.</summary>
public sealed record GuestCard(string Address, ushort Vendor, ushort Device, int Irq)
{
    public static IReadOnlyList<GuestCard> ParseList(string text)
    {
        var cards = new List<GuestCard>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4)
                throw new FormatException($"topology.txt: expected 'ADDRESS VENDOR DEVICE IRQ', got '{line}'");
            cards.Add(new GuestCard(f[0], ParseHex(f[1]), ParseHex(f[2]), int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return cards;
    }

    private static ushort ParseHex(string s) =>
        ushort.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
}
