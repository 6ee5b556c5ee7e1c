using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Validate.Plans;

namespace Validate.Devices;

/// <summary>
/// The skeleton of a test plan for a card, from what the machine says of it (<see cref="CardSurvey"/>;
/// validate new-plan): the card's ids and name, the suites it can run (valirq in each interrupt mode it has,
/// uio_pci_generic when its INTx masking works, vfio-pci when it is in an IOMMU group, two fault suites
/// through valirq, all idle with modest counts), and every value only the engineer knows (registers, the
/// IRQ program, the stimulus, init, disable, quiesce, health) as a string "TODO: what to put here", which
/// the plan loader refuses with that text at its key path (<see cref="PlanLoader.TodoMarker"/>). The
/// shape is <see cref="PlanDocument"/>'s. It reads a card and writes a plan, so it lives in Devices, the
/// lowest folder that sees both.
/// </summary>
public static class PlanSkeleton
{
    /// <summary>Where the JSON Schema of plans is from testplans/VENDOR/CARD.json, the skeleton's first key.</summary>
    public const string SchemaReference = "../plan.schema.json";

    /// <summary>The driver of the fault suites, from testplans/defaults.json (NativeAOT: the one that starts fastest).</summary>
    public const string FaultDriver = "card-aot";

    /// <summary>Placeholder names of the three registers every plan needs, by what they do.</summary>
    public const string CauseRegister = "cause", AckRegister = "ack", RaiseRegister = "raise";

    /// <summary>valirq and vfio enable MSI-X table entries 0 to 31.</summary>
    private const int MaxVectors = 32;

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The skeleton as JSON text, laid out as the shipped plans are (short objects on one line).</summary>
    public static string Write(CardSurvey card) => Format(Build(card));

    /// <summary>The skeleton as a JSON tree, keys in the order a plan is read.</summary>
    public static JsonObject Build(CardSurvey card)
    {
        var suites = Suites(card, out var faultMode);
        if (suites.Count == 0)
            throw new ValidateException(ExitCodes.SetupError,
                $"{card.Address} has no MSI, no MSI-X and no INTx pin: it cannot interrupt, so a plan has nothing to measure on it");
        var bar = RegisterBar(card);
        var plan = new JsonObject
        {
            [PlanLoader.SchemaReferenceKey] = SchemaReference,
            ["schema"] = PlanValidator.SupportedSchema,
            ["name"] = card.Name,
            ["description"] = Description(card, faultMode),
            ["card"] = new JsonObject
            {
                ["name"] = card.Name,
                ["vendor"] = Hex(card.Vendor, 4),
                ["device"] = Hex(card.Device, 4),
                ["revision"] = Hex(card.Revision, 2),
            },
            ["registers"] = Registers(card, bar),
            ["irqProgram"] = new JsonObject
            {
                ["check"] = new JsonObject
                {
                    ["op"] = "read-ne",
                    ["register"] = CauseRegister,
                    ["mask"] = Todo($"the bits of the {CauseRegister} register that mean the card is interrupting, e.g. \"0x1\": the check is read-ne against value 0, " +
                                    $"the card interrupting when ({CauseRegister} & mask) != 0"),
                    ["value"] = 0,
                },
                ["ack"] = Todo($"the steps that acknowledge an interrupt, a list such as [ {{ \"op\": \"write-status\", \"register\": \"{AckRegister}\" }} ] " +
                               $"(write back what the check read), or [] when reading the {CauseRegister} register clears it (then add \"readToClear\": true beside the check)"),
            },
            ["init"] = Todo("the steps that make the card interrupt at all (an interrupt enable register, vector routing), a list such as " +
                            "[ { \"op\": \"write\", \"register\": \"...\", \"value\": \"0x1\" } ], or [] when it interrupts without being told"),
            ["disable"] = Todo("the steps that stop the card interrupting (what undoes init), or [] when init is []"),
            ["quiesce"] = Todo("the steps valirq runs when the driver's file is released (a driver killed, the card unbound) to leave the card silent, " +
                               "e.g. mask every cause and acknowledge what is pending, or [] when nothing needs doing"),
            ["stimulus"] = new JsonObject
            {
                ["register"] = RaiseRegister,
                ["value"] = Todo($"the value written to the {RaiseRegister} register to make the card interrupt, e.g. \"0x1\"; with \"tag\": \"none\" the fault suites " +
                                 "count raises, with \"bits\" and \"tagBits\" they tell them apart (docs/test-plans.md)"),
                ["tag"] = "none",
            },
        };
        if (faultMode is not null)
            plan["health"] = Todo("checks that the card still works after the fault suites, a list such as " +
                                  "[ { \"register\": \"...\", \"write\": \"0x5a5a5a5a\", \"expect\": \"0x5a5a5a5a\" } ] (a scratch register reads back what was written), " +
                                  "or [] to leave its health not checked");
        plan["suiteDefaults"] = new JsonObject
        {
            ["count"] = 1000,
            ["rateHz"] = 500,
            ["limits"] = new JsonObject
            {
                ["maxLost"] = 0,
                ["stages"] = new JsonObject { ["total"] = new JsonObject { ["p99"] = "20ms", ["max"] = "200ms" } },
            },
        };
        plan["suites"] = new JsonArray([.. suites]);
        return plan;
    }

    /// <summary>The paths of the values still marked TODO (key paths as the plan loader names them).</summary>
    public static IReadOnlyList<string> TodoPaths(JsonNode? node, string path = "")
    {
        var paths = new List<string>();
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) paths.AddRange(TodoPaths(v, path.Length == 0 ? k : $"{path}:{k}"));
                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++) paths.AddRange(TodoPaths(a[i], $"{path}:{i}"));
                break;
            case JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith(PlanLoader.TodoMarker, StringComparison.Ordinal):
                paths.Add(path);
                break;
        }
        return paths;
    }

    private static string Todo(string hint) => $"{PlanLoader.TodoMarker} {hint}";

    private static string Hex(uint v, int digits) => "0x" + v.ToString(digits == 4 ? "x4" : "x2", CultureInfo.InvariantCulture);

    /// <summary>The BAR the placeholder registers are put in: the first memory BAR (user space reaches registers there only), else the first I/O BAR.</summary>
    private static PciBar? RegisterBar(CardSurvey card) => card.Bars.FirstOrDefault(b => b.IsMemory) ?? (card.Bars.Count > 0 ? card.Bars[0] : null);

    private static JsonObject Registers(CardSurvey card, PciBar? bar)
    {
        string where, elsewhere = "";
        if (bar is null) where = "in BAR 0 (the card shows no BAR in sysfs: check it is enabled)";
        else
        {
            var last = bar.Size >= 4 ? bar.Size - 4 : 0;
            var others = card.Bars.Where(b => b != bar).Select(b => b.ToString()).ToList();
            where = $"in {bar} (0x0 to 0x{last:x})";
            if (others.Count > 0) elsewhere = $"; if it is in another BAR ({string.Join(", ", others)}), change bar and space (mem or io) too";
        }
        var width = bar?.Kind == BarKind.Io ? "; width 1, 2 or 4 bytes (4 is the default)" : "";
        JsonObject Register(string what, string more = "") => new()
        {
            ["bar"] = bar?.Index ?? 0,
            ["offset"] = Todo($"the offset of {what} {where}, e.g. \"0x24\"{width}{elsewhere}{more}"),
            ["width"] = 4,
            ["space"] = bar?.Kind == BarKind.Io ? "io" : "mem",
        };
        return new JsonObject
        {
            [CauseRegister] = Register("the register that says the card is interrupting (the irqProgram check reads it)"),
            [AckRegister] = Register("the register an interrupt is acknowledged in (the irqProgram ack steps write it)",
                $"; remove this entry when the card is acknowledged in the {CauseRegister} register itself (write-1-to-clear, or cleared when read)"),
            [RaiseRegister] = Register("the register whose write makes the card interrupt (the stimulus writes it: a test or interrupt-cause-set register)"),
        };
    }

    /// <summary>The suites the card can run, each idle; <paramref name="faultMode"/>: the mode of the fault suites (null: none).</summary>
    private static List<JsonNode> Suites(CardSurvey card, out string? faultMode)
    {
        // User space (uio, vfio, the fault suites' driver, valirq's intx-pci23 reader) reaches registers in memory BARs only.
        var memory = card.Bars.Any(b => b.IsMemory);
        var pin = card.InterruptPin != 0;
        var vectors = card.Msix is { } x ? Enumerable.Range(0, Math.Min(x.TableSize, MaxVectors)).ToList() : null;
        var suites = new List<JsonNode>();
        JsonObject Latency(string name, string backend, string mode)
        {
            var s = new JsonObject { ["name"] = name, ["backend"] = backend, ["mode"] = mode };
            if (mode == "msix") s["vectors"] = new JsonArray([.. vectors!.Select(v => (JsonNode)v)]);
            return s;
        }
        if (card.Msi is not null) suites.Add(Latency("valirq-msi-idle", "valirq", "msi"));
        if (vectors is not null) suites.Add(Latency("valirq-msix-idle", "valirq", "msix"));
        if (pin)
            suites.Add(card.IntxMasking && memory ? Latency("valirq-intx-pci23-idle", "valirq", "intx-pci23") : Latency("valirq-intx-exclusive-idle", "valirq", "intx-exclusive"));
        if (pin && card.IntxMasking && memory) suites.Add(Latency("uio-idle", "uio", "intx"));
        if (card.IommuGroup is not null && memory)
        {
            if (card.Msi is not null) suites.Add(Latency("vfio-msi-idle", "vfio", "msi"));
            if (vectors is not null) suites.Add(Latency("vfio-msix-idle", "vfio", "msix"));
            if (pin) suites.Add(Latency("vfio-intx-idle", "vfio", "intx"));
        }
        faultMode = !memory ? null : card.Msi is not null ? "msi" : vectors is not null ? "msix" : pin && card.IntxMasking ? "intx-pci23" : null;
        if (faultMode is { } m)
            foreach (var fault in new[] { "kill-in-handler", "hang" })
            {
                var s = new JsonObject { ["name"] = $"fault-{fault}-{m}", ["kind"] = "fault", ["fault"] = fault, ["driver"] = FaultDriver, ["mode"] = m };
                if (m == "msix") s["vectors"] = new JsonArray([.. vectors!.Select(v => (JsonNode)v)]);
                s["repetitions"] = 5;
                s["rateHz"] = 100;
                if (fault == "hang") s["hangMs"] = 300;
                s["limits"] = new JsonObject { ["maxLost"] = 0, ["stages"] = new JsonObject { ["total"] = new JsonObject { ["p99"] = "5s" } } };
                suites.Add(s);
            }
        return suites;
    }

    /// <summary>What was found on the card, and what the engineer still has to do, in words.</summary>
    private static string Description(CardSurvey c, string? faultMode)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Skeleton written by validate new-plan from the card at {c.Address}: {c.Vendor:x4}:{c.Device:x4} rev 0x{c.Revision:x2}, ");
        sb.Append(CultureInfo.InvariantCulture, $"class 0x{c.Class:x6}, subsystem {c.SubsystemVendor:x4}:{c.SubsystemDevice:x4}, driver {c.Driver ?? "none"}; ");
        sb.Append(c.Bars.Count == 0 ? "no BAR" : string.Join(", ", c.Bars));
        sb.Append("; ");
        sb.Append(c.Msi is { } msi ? $"MSI {Vectors(msi.Vectors)}{(msi.Address64 ? " (64-bit)" : "")}{(msi.PerVectorMasking ? " with per-vector masking" : "")}" : "no MSI");
        sb.Append("; ");
        sb.Append(c.Msix is { } msix ? $"MSI-X {Vectors(msix.TableSize)} (table in BAR {msix.TableBar} at 0x{msix.TableOffset:x})" : "no MSI-X");
        sb.Append("; ");
        sb.Append(c.PinName is { } pin ? $"INTx pin {pin}, IRQ {c.Irq}, PCI 2.3 INTx masking {c.IntxMaskingHow}" : "no INTx pin");
        sb.Append("; ");
        sb.Append(c.IommuGroup is { } g ? $"IOMMU group {g}." : "no IOMMU group (no vfio suites).");
        if (!c.Bars.Any(b => b.IsMemory))
            sb.Append(" No memory BAR: uio_pci_generic, vfio-pci, valirq's intx-pci23 and the fault suites' driver reach registers in memory BARs only, so the suites are valirq's with the card acknowledged by the kernel.");
        else if (c.Bars.Any(b => !b.IsMemory))
            sb.Append(" The registers are put in the first memory BAR: should they be in the I/O BAR, keep the valirq suites only (user space reaches memory BARs only).");
        if (faultMode is not null)
            sb.Append(CultureInfo.InvariantCulture, $" Fault suites through valirq in mode {faultMode}, driver {FaultDriver} (testplans/defaults.json).");
        sb.Append(" Fill in every \"TODO:\" value (`validate run PLAN --check` lists them) and say what the card is here.");
        sb.Append(" The limits are placeholders that catch breakage (a lost interrupt, a dead line), not the card's real-time budget: set them from a first run.");
        return sb.ToString();
    }

    private static string Vectors(int n) => n == 1 ? "1 vector" : $"{n} vectors";

    // ---- layout: objects and lists on one line when they fit, as the shipped plans are written ----

    private const int LineWidth = 200;

    public static string Format(JsonNode node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0, 0, expand: true);
        return sb.Append('\n').ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, int indent, int prefix, bool expand)
    {
        var inline = Inline(node);
        if (!expand && indent * 2 + prefix + inline.Length <= LineWidth || node is not (JsonObject or JsonArray))
        {
            sb.Append(inline);
            return;
        }
        var pad = new string(' ', (indent + 1) * 2);
        if (node is JsonObject o)
        {
            sb.Append("{\n");
            var i = 0;
            foreach (var (k, v) in o)
            {
                var key = JsonSerializer.Serialize(k, Relaxed) + ": ";
                sb.Append(pad).Append(key);
                Write(sb, v, indent + 1, key.Length, expand: false);
                sb.Append(++i < o.Count ? ",\n" : "\n");
            }
            sb.Append(' ', indent * 2).Append('}');
        }
        else if (node is JsonArray a)
        {
            sb.Append("[\n");
            for (int i = 0; i < a.Count; i++)
            {
                sb.Append(pad);
                Write(sb, a[i], indent + 1, 0, expand: false);
                sb.Append(i + 1 < a.Count ? ",\n" : "\n");
            }
            sb.Append(' ', indent * 2).Append(']');
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        JsonObject o => o.Count == 0 ? "{}" : "{ " + string.Join(", ", o.Select(kv => JsonSerializer.Serialize(kv.Key, Relaxed) + ": " + Inline(kv.Value))) + " }",
        JsonArray a => a.Count == 0 ? "[]" : "[ " + string.Join(", ", a.Select(Inline)) + " ]",
        null => "null",
        _ => node.ToJsonString(Relaxed),
    };
}
