using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Devices;
using Validate.Lab;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests;

/// <summary>
/// Card knowledge lives in plans and the lab's topology data, not in the harness or the reports: no PCI id
/// of a card the project ships a plan or a topology for, and no register name of one of its plans as a
/// string literal, appears in the code under harness/ or reports/ (comments are documentation and may
/// name cards; code may not). A new card is then a plan and a topology entry, nothing else.
/// </summary>
public partial class CardKnowledgeTests
{
    private static readonly string[] CodeExtensions = [".cs", ".js", ".ts", ".css", ".html", ".cshtml"];

    /// <summary>Every vendor and device id of the shipped topologies and plans.</summary>
    private static IReadOnlyList<(ushort Vendor, ushort Device)> KnownCards()
    {
        var cards = TopologyCatalog.Default.All.SelectMany(t => t.Cards).Select(c => (c.Vendor, c.Device)).ToList();
        cards.AddRange(ShippedPlans().Select(p => (p.Card.Vendor, p.Card.Device)));
        return [.. cards.Where(c => c.Vendor != 0).Distinct()];
    }

    private static IEnumerable<Plan> ShippedPlans() =>
        Directory.EnumerateFiles(Path.Combine(Cli.Layout.Root, "testplans"), "*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is not (PlanLoader.DefaultsFileName or PlanSchema.FileName))
            .Select(f => PlanLoader.Load(f, cpuCount: 2));

    private static IEnumerable<string> CodeFiles() =>
        new[] { "harness", "reports" }.Select(d => Path.Combine(Cli.Layout.Root, d))
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => CodeExtensions.Contains(Path.GetExtension(f)))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(p => p is "obj" or "bin" or "node_modules" or "wwwroot" or "dist"));

    /// <summary>The file's code with // and /* */ comments blanked (strings kept), so comments may explain.</summary>
    private static string Code(string text) => Comment().Replace(text, m => m.Value.StartsWith('"') ? m.Value : "");

    [GeneratedRegex("""("(?:[^"\\\n]|\\.)*")|//[^\n]*|/\*.*?\*/""", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [Test]
    public void No_pci_id_of_a_shipped_card_is_in_the_harness_or_the_reports()
    {
        var ids = KnownCards();
        Assert.That(ids, Has.Count.GreaterThanOrEqualTo(3), "the shipped plans and topologies name the lab's cards");
        var patterns = ids.SelectMany(c => new[]
        {
            $"{c.Vendor:x4}:{c.Device:x4}", $"0x{c.Device:x4}", $"0x{c.Vendor:x4}",
        }).Distinct().ToArray();
        var offenders = new List<string>();
        foreach (var f in CodeFiles())
        {
            var code = Code(File.ReadAllText(f));
            foreach (var p in patterns)
                if (code.Contains(p, StringComparison.OrdinalIgnoreCase)) offenders.Add($"{Path.GetRelativePath(Cli.Layout.Root, f)}: {p}");
        }
        Assert.That(offenders, Is.Empty, "a card's ids belong in its plan and the lab's topologies.json");
    }

    [Test]
    public void No_register_name_of_a_shipped_plan_is_a_string_in_the_harness_or_the_reports()
    {
        // "status" is also a word of the harness's own (a systemd unit's status in LabMachine): no card's; and
        // the placeholder registers of validate new-plan's skeleton name roles, not a card's registers, which a
        // plan started from one may keep.
        string[] harnessWords = ["status", PlanSkeleton.CauseRegister, PlanSkeleton.AckRegister, PlanSkeleton.RaiseRegister];
        var names = ShippedPlans().SelectMany(p => p.Registers.Keys).Distinct(StringComparer.Ordinal).Except(harnessWords).ToList();
        Assert.That(names, Does.Contain("irqStatus").And.Contain("icr"));
        var offenders = new List<string>();
        foreach (var f in CodeFiles())
        {
            var code = Code(File.ReadAllText(f));
            foreach (var n in names)
                if (code.Contains($"\"{n}\"", StringComparison.Ordinal) || code.Contains($"'{n}'", StringComparison.Ordinal))
                    offenders.Add($"{Path.GetRelativePath(Cli.Layout.Root, f)}: \"{n}\"");
        }
        Assert.That(offenders, Is.Empty, "the harness reaches a card's registers through the plan's programs, never by name");
    }

    [Test]
    public void The_check_finds_a_card_id_and_a_register_name_put_into_code()
    {
        // The test can fail: the same scan over code that names the edu card and its status register.
        const string code = """
            var status = regs["irqStatus"]; // edu's status, 1234:11e8
            if (vendor == 0x1234) return;
            """;
        var stripped = Code(code);
        Assert.Multiple(() =>
        {
            Assert.That(stripped, Does.Contain("\"irqStatus\""));
            Assert.That(stripped, Does.Contain("0x1234"));
            Assert.That(stripped, Does.Not.Contain("1234:11e8"), "a comment may name the card");
        });
    }

    [Test]
    public void Every_shipped_plan_has_a_topology_that_holds_its_card()
    {
        foreach (var p in ShippedPlans().Where(p => p.Suites.Any(s => s.Backend != BackendKind.Timer)))
            Assert.That(TopologyCatalog.Default.All.Any(t => t.Cards.Any(c => c.Vendor == p.Card.Vendor && c.Device == p.Card.Device)),
                $"{p.SourcePath}: no topology in rt-setup/vlab/topologies.json holds {p.Card.Vendor:x4}:{p.Card.Device:x4}");
    }
}
