using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>
/// validate new-plan on the lab's live cards: in one boot of the iommu topology (an edu card and an 82574L
/// behind an emulated VT-d, left unbound so that PCI 2.3 masking is found by trying the Interrupt Disable
/// bit), a skeleton of each card; then on the host each skeleton is refused by `validate run --check` with
/// its TODOs, and passes once they are filled with the registers and programs of the card's shipped plan.
/// </summary>
[RequiresVirtualLab, VirtualLabCategory]
public class NewPlanLabTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    private sealed record LabCard(string Address, string Vendor, string Device, string ShippedPlan, string[] Suites, int MsixVectors);

    private static readonly LabCard[] Cards =
    [
        new("0000:00:04.0", "0x1234", "0x11e8", "testplans/qemu/edu.json",
            ["valirq-msi-idle", "valirq-intx-pci23-idle", "uio-idle", "vfio-msi-idle", "vfio-intx-idle", "fault-kill-in-handler-msi", "fault-hang-msi"], 0),
        new("0000:00:05.0", "0x8086", "0x10d3", "testplans/intel/82574l.json",
            ["valirq-msi-idle", "valirq-msix-idle", "valirq-intx-pci23-idle", "uio-idle", "vfio-msi-idle", "vfio-msix-idle", "vfio-intx-idle",
             "fault-kill-in-handler-msi", "fault-hang-msi"], 5),
    ];

    [Test]
    public void A_skeleton_of_each_card_of_the_iommu_lab_passes_check_once_filled_from_its_shipped_plan()
    {
        var runDir = Path.Combine(Cli.Layout.Out, "labtests", $"{TestContext.CurrentContext.Test.MethodName}-{DateTime.Now:HHmmss}");
        Directory.CreateDirectory(runDir);
        string Skeleton(LabCard c) => Path.Combine(runDir, $"skeleton-{c.Address[5..].Replace(':', '-')}.json");
        // In the guest: each card's command register around new-plan (the probe puts it back), lspci's name for it,
        // the skeleton written with --out (the edu card's given as lspci writes addresses), and once printed.
        var script = string.Join("\n", Cards.Select((c, i) =>
            $"echo \"command-before {c.Address}: $(od -An -tx1 -j4 -N2 /sys/bus/pci/devices/{c.Address}/config)\"\n" +
            $"echo \"lspci {c.Address}: $(lspci -mm -s {c.Address})\"\n" +
            $"{Cli.Path} new-plan --card {(i == 0 ? c.Address[5..] : c.Address)} --out {Skeleton(c)} || exit 11\n" +
            $"echo \"command-after {c.Address}: $(od -An -tx1 -j4 -N2 /sys/bus/pci/devices/{c.Address}/config)\"")) +
            $"\n{Cli.Path} new-plan --card {Cards[0].Address} > {runDir}/stdout.json || exit 12\n" +
            $"{Cli.Path} new-plan --card {Cards[0].Address} --out {Skeleton(Cards[0])}; echo \"again: $?\"\n";
        var run = Cli.Run(Limit, "vlab", "--topology", "iommu", "--bind", "none", "--timeout", "420", "--run-dir", runDir, "--", "/bin/sh", "-c", script);
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("again: 2"), "an existing file is not overwritten without --force (exit 2)");
        Assert.That(File.ReadAllText(Path.Combine(runDir, "stdout.json")), Is.EqualTo(File.ReadAllText(Skeleton(Cards[0]))), "printed as written");

        var plans = SkeletonFill.PlanFolder(Path.Combine(runDir, "plans"));
        foreach (var c in Cards)
        {
            var text = File.ReadAllText(Skeleton(c));
            var skeleton = JsonNode.Parse(text)!.AsObject();
            var lspci = Regex.Matches(Regex.Match(run.Stdout, $"^lspci {Regex.Escape(c.Address)}: (.*)$", RegexOptions.Multiline).Groups[1].Value, "\"([^\"]*)\"")
                .Select(m => m.Groups[1].Value).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(run.Stdout, Does.Contain($"new-plan: wrote {Skeleton(c)}: "));
                Assert.That(Regex.Match(run.Stdout, $"^command-after {Regex.Escape(c.Address)}: (.*)$", RegexOptions.Multiline).Groups[1].Value,
                    Is.EqualTo(Regex.Match(run.Stdout, $"^command-before {Regex.Escape(c.Address)}: (.*)$", RegexOptions.Multiline).Groups[1].Value).And.Not.Empty,
                    $"{c.Address}: the command register as it was before the masking probe");
                Assert.That(skeleton.First().Key, Is.EqualTo("$schema"));
                Assert.That(((string?)skeleton["card"]!["vendor"], (string?)skeleton["card"]!["device"]), Is.EqualTo((c.Vendor, c.Device)), c.Address);
                Assert.That((string?)skeleton["card"]!["name"], Is.EqualTo($"{lspci[1]} {lspci[2]}"), $"{c.Address}: the name lspci -mm gives");
                Assert.That((string?)skeleton["description"], Does.Contain("driver none").And.Contain("PCI 2.3 INTx masking works: the Interrupt Disable bit takes a write")
                    .And.Contain("IOMMU group"), c.Address);
                Assert.That(skeleton["suites"]!.AsArray().Select(s => (string?)s!["name"]), Is.EqualTo(c.Suites), c.Address);
                if (c.MsixVectors > 0)
                    Assert.That(skeleton["suites"]!.AsArray().Single(s => (string?)s!["name"] == "valirq-msix-idle")!["vectors"]!.AsArray().Count, Is.EqualTo(c.MsixVectors));
            });

            // As it is: refused, one line per TODO.
            var raw = Path.Combine(plans, "raw-" + Path.GetFileName(Skeleton(c)));
            File.WriteAllText(raw, text);
            var refused = Cli.Run(TimeSpan.FromMinutes(1), "run", raw, "--check");
            Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.InputError), refused.ToString());
            var todos = refused.Stderr.Split('\n').Count(l => l.Contains(": still a TODO from validate new-plan: ", StringComparison.Ordinal));
            Assert.That(todos, Is.EqualTo(10), refused.ToString());

            // Filled from the card's shipped plan: valid, every suite listed.
            var filled = Path.Combine(plans, Path.GetFileName(Skeleton(c)));
            File.WriteAllText(filled, SkeletonFill.Fill(text, Path.Combine(Cli.Layout.Root, c.ShippedPlan)));
            var check = Cli.Run(TimeSpan.FromMinutes(1), "run", filled, "--check");
            TestContext.Out.WriteLine(check);
            Assert.That(check.ExitCode, Is.Zero, check.ToString());
            Assert.That(check.Stdout, Does.Contain($"{filled}: valid: ").And.Contain($"{c.Suites.Length} suite(s)"));
            foreach (var s in c.Suites) Assert.That(check.Stdout, Does.Match($@"\n  {Regex.Escape(s)} "), s);
        }
    }
}
