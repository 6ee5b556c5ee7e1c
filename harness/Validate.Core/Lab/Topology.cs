using System.Globalization;
using System.Text.Json;

namespace Validate.Lab;

/// <summary>One card of a topology: a QEMU device model in a slot, with the ids the guest must see.</summary>
/// <param name="Model">QEMU's device model (<c>-device MODEL</c>): edu, e1000e, e1000, ...</param>
/// <param name="Vendor">PCI vendor id the guest must see.</param>
/// <param name="Device">PCI device id the guest must see.</param>
/// <param name="Slot">PCI device number on bus 0 (the root port's when <paramref name="BehindRootPort"/>).</param>
/// <param name="Options">Extra QEMU device options, appended as given ("key=value,..."), or null.</param>
/// <param name="BehindRootPort">Behind a PCIe root port in the slot, function 0 of its secondary bus (q35), alone there so it can be reset.</param>
public sealed record TopologyCard(string Model, ushort Vendor, ushort Device, int Slot, string? Options, bool BehindRootPort)
{
    public string Id => $"{Vendor:x4}:{Device:x4}";
}

/// <summary>
/// A named arrangement of cards in the virtual lab: a QEMU machine type and its cards, read from
/// rt-setup/vlab/topologies.json (<see cref="TopologyCatalog"/>), so that a lab adds a card without code.
/// The guest lists the cards whose ids the topology names (topology.txt) and binds them;
/// <see cref="Verify"/> checks what it saw before a result counts.
/// </summary>
public sealed record Topology(string Name, string Description, string Machine, IReadOnlyList<TopologyCard> Cards, bool SharedLine, bool Iommu = false)
{
    /// <summary>
    /// Kernel command line for an <see cref="Iommu"/> topology: VT-d on, and passthrough for the kernel's own
    /// DMA (the lab's 9p shares), so that only a device given to VFIO is translated.
    /// </summary>
    public string KernelArgs => Iommu ? "intel_iommu=on iommu=pt" : "";

    /// <summary>The distinct vendor:device ids of the cards ("1234:11e8"), as the guest init gets them to list and bind.</summary>
    public IReadOnlyList<string> Ids => Cards.Select(c => c.Id).Distinct().ToArray();

    /// <summary>QEMU arguments for the machine and its cards (slots are PCI device numbers on bus 0).</summary>
    public IEnumerable<string> QemuDeviceArgs()
    {
        // An emulated VT-d with interrupt remapping (needs the split irqchip), the way VFIO
        // (vfio-pci without no-IOMMU mode) can take a card: it is first, ahead of every PCI device.
        yield return "-M";
        yield return Iommu ? Machine + ",kernel-irqchip=split" : Machine;
        if (Iommu)
        {
            yield return "-device";
            yield return "intel-iommu,intremap=on";
        }
        foreach (var c in Cards)
        {
            var options = string.IsNullOrEmpty(c.Options) ? "" : "," + c.Options;
            if (c.BehindRootPort)
            {
                // The root port takes the slot; the card is function 0 of its secondary bus.
                yield return "-device";
                yield return $"pcie-root-port,id=rp{c.Slot},chassis={c.Slot},slot={c.Slot},addr=0x{c.Slot:x}";
                yield return "-device";
                yield return $"{c.Model},bus=rp{c.Slot},addr=0{options}";
                continue;
            }
            yield return "-device";
            yield return $"{c.Model},addr=0x{c.Slot:x}{options}";
        }
    }

    /// <summary>
    /// Checks the cards the guest listed (lines "ADDRESS VENDOR DEVICE IRQ") against this topology: the same
    /// vendor:device list, each card with an IRQ, cards behind root ports off the root bus, one line when shared.
    /// Returns null when they match, else what is wrong.
    /// </summary>
    public string? Verify(IReadOnlyList<GuestCard> cards)
    {
        var want = Cards.Select(c => c.Id).Order(StringComparer.Ordinal).ToArray();
        var saw = cards.Select(c => c.Id).Order(StringComparer.Ordinal).ToArray();
        if (!want.SequenceEqual(saw))
            return $"topology {Name}: expected cards {List(want)}, the guest saw {List(saw)}";
        foreach (var c in cards)
        {
            if (c.Irq <= 0)
                return $"topology {Name}: card {c.Address} ({c.Id}) has no IRQ";
        }
        // Cards behind root ports: as many of that id off the root bus as the topology puts there.
        foreach (var id in want.Distinct())
        {
            var behind = Cards.Count(c => c.Id == id && c.BehindRootPort);
            var offRoot = cards.Count(c => c.Id == id && c.Address.Split(':') is not [_, "00", _]);
            if (behind > 0 && offRoot < behind)
                return $"topology {Name}: card {id} is on the root bus, expected behind a root port";
        }
        var distinctIrqs = cards.Select(c => c.Irq).Distinct().Count();
        if (SharedLine && distinctIrqs != 1)
            return $"topology {Name}: cards should share one INTx line but have IRQs {string.Join(", ", cards.Select(c => c.Irq))}";
        return null;

        static string List(string[] ids) => ids.Length == 0 ? "none" : string.Join(", ", ids);
    }

    /// <summary>The topology of that name in the checkout's catalog (usage error listing the choices when unknown).</summary>
    public static Topology Get(string name) => TopologyCatalog.Default.Get(name);
}

/// <summary>
/// The lab's topologies, from a JSON file (rt-setup/vlab/topologies.json in the checkout). A mistake in the
/// file is one line naming the file, the key and the fix (exit 3).
/// </summary>
public sealed class TopologyCatalog
{
    /// <summary>A topology file to use instead of the checkout's (a lab's own, or a test's).</summary>
    public const string EnvironmentVariable = "VALIDATE_TOPOLOGIES";

    private static readonly Lazy<TopologyCatalog> DefaultCatalog = new(() =>
        Load(Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } own ? own : DefaultPath(RepositoryLayout.Find())));

    private TopologyCatalog(string path, IReadOnlyList<Topology> all, string defaultName)
    {
        Path = path;
        All = all;
        DefaultName = defaultName;
    }

    public string Path { get; }
    public IReadOnlyList<Topology> All { get; }
    public string DefaultName { get; }

    /// <summary>The catalog: VALIDATE_TOPOLOGIES when set, else the checkout's rt-setup/vlab/topologies.json; read once.</summary>
    public static TopologyCatalog Default => DefaultCatalog.Value;

    public static string DefaultPath(RepositoryLayout layout) => System.IO.Path.Combine(layout.VlabScripts, "topologies.json");

    public Topology Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ValidateException(ExitCodes.Usage,
            $"unknown topology '{name}'; choose one of: {string.Join(", ", All.Select(t => t.Name))} (or add it to {Path})");

    /// <summary>
    /// The topology for a plan: of those holding the plan's card, first those that also hold the neighbour
    /// card on one shared line when the plan has neighbour suites, then those with an IOMMU when it has vfio
    /// suites, then the one with the most of the plan's
    /// cards (a second card for the irq-flood load or the neighbour).
    /// </summary>
    public Topology ForPlan(Plans.Plan plan)
    {
        var id = $"{plan.Card.Vendor:x4}:{plan.Card.Device:x4}";
        var nb = plan.Neighbour.Card;
        var nbId = $"{nb.Vendor:x4}:{nb.Device:x4}";
        var needsNeighbour = plan.Suites.Any(s => s.Fault is { Neighbour: true });
        var needsIommu = plan.Suites.Any(s => s.Backend == Plans.BackendKind.Vfio);
        bool HasNeighbour(Topology t) => t.SharedLine && t.Cards.Count(c => c.Id == nbId) >= (nbId == id ? 2 : 1);
        return All.Where(t => t.Cards.Any(c => c.Id == id))
            .OrderByDescending(t => !needsNeighbour || HasNeighbour(t))
            .ThenByDescending(t => !needsIommu || t.Iommu)
            .ThenByDescending(t => t.Cards.Count(c => c.Id == id || c.Id == nbId))
            .FirstOrDefault()
            ?? throw new ValidateException(ExitCodes.Usage,
                $"{plan.SourcePath}: no lab topology holds the card {id}; add one to {Path} (a QEMU model with these ids), or give --topology");
    }

    public static TopologyCatalog Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Bad(path, "", $"cannot be read ({e.Message})", "restore it from the checkout");
        }
        return Parse(path, text);
    }

    public static TopologyCatalog Parse(string path, string text)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw Bad(path, "", $"is not valid JSON ({e.Message})", "fix the syntax");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "", "is not a JSON object", "see rt-setup/vlab/README.md");
            if (!root.TryGetProperty("topologies", out var tops) || tops.ValueKind != JsonValueKind.Object)
                throw Bad(path, "topologies", "is missing or not an object", "give an object of named topologies");
            var all = new List<Topology>();
            foreach (var t in tops.EnumerateObject())
                all.Add(ParseTopology(path, t.Name, t.Value));
            if (all.Count == 0) throw Bad(path, "topologies", "is empty", "give at least one topology");
            var defaultName = root.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : all[0].Name;
            if (all.All(t => t.Name != defaultName))
                throw Bad(path, "default", $"names '{defaultName}', which is not a topology", $"use one of {string.Join(", ", all.Select(t => t.Name))}");
            return new TopologyCatalog(path, all, defaultName);
        }
    }

    private static Topology ParseTopology(string path, string name, JsonElement t)
    {
        var at = $"topologies.{name}";
        if (t.ValueKind != JsonValueKind.Object) throw Bad(path, at, "is not an object", "give description, machine and cards");
        var machine = Text(path, t, at, "machine", required: true)!;
        if (machine is not ("q35" or "pc"))
            throw Bad(path, at + ".machine", $"is '{machine}'", "use q35 (PCIe, MSI) or pc (i440FX/PIIX, legacy INTx routing)");
        var description = Text(path, t, at, "description", required: false) ?? name;
        var shared = Flag(path, t, at, "sharedLine");
        var iommu = Flag(path, t, at, "iommu");
        if (iommu && machine != "q35") throw Bad(path, at + ".iommu", "needs q35", "use machine q35 for an IOMMU (QEMU's intel-iommu)");
        if (!t.TryGetProperty("cards", out var cards) || cards.ValueKind != JsonValueKind.Array || cards.GetArrayLength() == 0)
            throw Bad(path, at + ".cards", "is missing, empty or not a list", "list the cards: model, id, slot");
        var list = new List<TopologyCard>();
        var i = 0;
        foreach (var c in cards.EnumerateArray())
        {
            var cat = $"{at}.cards[{i++}]";
            if (c.ValueKind != JsonValueKind.Object) throw Bad(path, cat, "is not an object", "give model, id and slot");
            var model = Text(path, c, cat, "model", required: true)!;
            if (model.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')))
                throw Bad(path, cat + ".model", $"is '{model}'", "give a QEMU device model name (letters, digits, - and _)");
            var id = Text(path, c, cat, "id", required: true)!;
            if (id.Split(':') is not [var v, var dv] || !ushort.TryParse(v, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var vendor)
                || !ushort.TryParse(dv, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var device) || v.Length != 4 || dv.Length != 4)
                throw Bad(path, cat + ".id", $"is '{id}'", "give vendor:device in hex, e.g. 10ee:7021");
            if (!c.TryGetProperty("slot", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var slot) || slot is < 1 or > 0x1f or 0x10 or 0x11)
                throw Bad(path, cat + ".slot", "is missing or out of range", "give a PCI device number from 1 to 31, not 16 or 17 (the lab's shares)");
            var behind = Flag(path, c, cat, "behindRootPort");
            if (behind && machine != "q35") throw Bad(path, cat + ".behindRootPort", "needs PCIe", "use machine q35 for a card behind a root port");
            var options = Text(path, c, cat, "options", required: false);
            list.Add(new TopologyCard(model, vendor, device, slot, options, behind));
        }
        if (list.GroupBy(c => c.Slot).FirstOrDefault(g => g.Count() > 1) is { } dup)
            throw Bad(path, at + ".cards", $"puts two cards in slot {dup.Key}", "give each card its own slot");
        return new Topology(name, description, machine, list, shared, iommu);
    }

    private static string? Text(string path, JsonElement o, string at, string key, bool required)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            return required ? throw Bad(path, $"{at}.{key}", "is missing", $"give {key}") : null;
        if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } s)
            throw Bad(path, $"{at}.{key}", "is not a non-empty string", $"give {key} as a string");
        return s;
    }

    private static bool Flag(string path, JsonElement o, string at, string key)
    {
        if (!o.TryGetProperty(key, out var v)) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(path, $"{at}.{key}", "is not true or false", $"give {key} as a boolean"),
        };
    }

    private static ValidateException Bad(string path, string key, string what, string fix) =>
        new(ExitCodes.InputError, $"{path}: {(key.Length == 0 ? "the file" : key)} {what}: {fix}");
}

/// <summary>A card as the guest listed it in topology.txt.</summary>
public sealed record GuestCard(string Address, ushort Vendor, ushort Device, int Irq)
{
    public string Id => $"{Vendor:x4}:{Device:x4}";

    public static IReadOnlyList<GuestCard> ParseList(string text)
    {
        var cards = new List<GuestCard>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 4)
                throw new FormatException($"topology.txt: expected 'ADDRESS VENDOR DEVICE IRQ', got '{line}'");
            cards.Add(new GuestCard(f[0], ParseHex(f[1]), ParseHex(f[2]), int.Parse(f[3], CultureInfo.InvariantCulture)));
        }
        return cards;
    }

    private static ushort ParseHex(string s) =>
        ushort.Parse(s.StartsWith("0x", StringComparison.Ordinal) ? s[2..] : s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
