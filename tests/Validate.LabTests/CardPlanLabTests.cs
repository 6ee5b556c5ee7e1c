using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>
/// Cards described by a plan alone: the Intel 82574L (MSI, MSI-X, INTx; a status that clears when read) and
/// the Intel 82540EM on an INTx line it shares with an edu card (two vendors on one line), every suite of
/// their plans passing in the lab through the plan-driven driver; and a card added to the lab by a plan and
/// a topology entry, with no code.
/// </summary>
[RequiresVirtualLab, VirtualLabCategory]
public class CardPlanLabTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    private static (CliRun Run, RunResults Results) RunPlan(string topology, string plan, IReadOnlyDictionary<string, string>? env = null, params string[] args)
    {
        var runDir = Path.Combine(Cli.Layout.Out, "labtests", $"{TestContext.CurrentContext.Test.MethodName}-{DateTime.Now:HHmmss}");
        Directory.CreateDirectory(runDir);
        var outDir = Path.Combine(runDir, "run");
        var run = Cli.RunWith(Limit, env, ["vlab", "--topology", topology, "--bind", "valirq", "--timeout", "540", "--run-dir", runDir, "--",
            // A suite hung in the lab is diagnosed (hang-SUITE.txt) and stopped before the lab's own timeout kills QEMU.
            Cli.Path, "run", plan, "--out", outDir, "--hang-after", "180", .. args]);
        TestContext.Out.WriteLine(run);
        var results = Path.Combine(outDir, "results.json");
        Assert.That(File.Exists(results), Is.True, $"no results: {run}");
        return (run, RunResults.Read(results));
    }

    /// <summary>What every suite of a card's plan must show: a pass, nothing lost or doubled, a clean kernel log, a healthy card.</summary>
    private static void AssertEverySuitePassed(RunResults r, int suites)
    {
        Assert.That(r.Suites, Has.Count.EqualTo(suites));
        Assert.Multiple(() =>
        {
            foreach (var s in r.Suites)
            {
                Assert.That(s.Verdict, Is.EqualTo(Verdict.Pass), $"{s.Name}: {s.Message}");
                Assert.That(s.KernelFindings, Is.Empty, s.Name);
                if (s.Fault is { } f)
                {
                    var a = f.Accounting!;
                    Assert.That(a.Handled, Is.GreaterThan(0), s.Name);
                    Assert.That((a.LostUnexplained, a.Duplicated), Is.EqualTo((0L, 0L)), $"{s.Name}: no unexplained loss, none handled twice");
                    Assert.That(a.Handled + a.CoalescedExplained + a.Late + a.LostExplained, Is.EqualTo(a.Raised), $"{s.Name}: every raise is accounted for");
                    Assert.That(f.LineProblems, Is.Empty, s.Name);
                    Assert.That(f.CardCheckPassed, Is.True, $"{s.Name}: {f.CardCheck}");
                    Assert.That(f.StimulusAllocatedBytes, Is.Zero, s.Name);
                    if (f.Neighbour is { } nb)
                        Assert.That((nb.Lost, nb.Duplicated, nb.During.Handled > 0), Is.EqualTo((0L, 0L, true)), $"{s.Name}: the neighbour lost nothing and kept interrupting");
                }
                else
                {
                    Assert.That((s.Counts!.Lost, s.Counts.Errors), Is.EqualTo((0L, 0L)), s.Name);
                    // The emulated 82574L sends extra messages (its plan says when and allows them): at most one per stimulus.
                    Assert.That(s.Counts.Extra, Is.LessThanOrEqualTo(s.Mode is "msi" or "msix" ? s.Counts.Stimuli : 0),
                        $"{s.Name}: interrupts no stimulus explains");
                    Assert.That(s.Measurement!.AllocatedBytes, Is.Zero, s.Name);
                    if (s.Backend == "valirq")
                        Assert.That(s.Stages.All(st => st.Negative == 0), Is.True, $"{s.Name}: stimulus <= hard IRQ <= thread <= user for every sample");
                }
            }
        });
    }

    [Test]
    public void The_82574L_plan_passes_every_suite_through_msi_msix_and_intx()
    {
        // valirq and uio in the card's own topology; the vfio suites need an IOMMU, which it has not: skipped, with the fix.
        var plan = Path.Combine(Cli.Layout.Root, "testplans", "intel", "82574l.json");
        var (run, r) = RunPlan("intel-msix", plan, null, "--set", "suiteDefaults:count=300", "--set", "suiteDefaults:repetitions=3");
        var vfio = r.Suites.Where(s => s.Backend == "vfio").ToList();
        Assert.That(vfio, Has.Count.EqualTo(7));
        Assert.That(vfio.Select(s => (s.Verdict, s.Message?.Contains("needs VFIO, which needs an IOMMU", StringComparison.Ordinal))), Is.All.EqualTo((Verdict.Skipped, (bool?)true)));
        r.Suites.RemoveAll(s => s.Backend == "vfio");
        AssertEverySuitePassed(r, 11);
        var msix = r.Suites.Single(s => s.Name == "valirq-msix-cpu");
        Assert.That(msix.Facts["vectors"], Is.EqualTo("0,1,2,3,4"));
        Assert.That(r.Suites.Where(s => s.Fault is not null && s.Mode == "msix").Select(s => s.Fault!.Mode), Is.All.EqualTo("msix"));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
    }

    [Test]
    public void The_82574L_is_measured_through_valirq_uio_and_vfio_side_by_side_and_recovers_on_vfio()
    {
        // Behind an emulated VT-d: the latency suites of every interface, and the fault suites through vfio-pci.
        var plan = Path.Combine(Cli.Layout.Root, "testplans", "intel", "82574l.json");
        var (run, r) = RunPlan("iommu", plan, null, "--set", "suiteDefaults:count=300", "--set", "suiteDefaults:repetitions=3",
            "--filter", "FullyQualifiedName~idle|FullyQualifiedName~vfio");
        AssertEverySuitePassed(r, 11);
        Assert.That(r.Suites.Where(s => s.Fault is null).Select(s => s.Backend).Distinct(), Is.EquivalentTo(new[] { "valirq", "uio", "vfio" }));
        var vfio = r.Suites.Where(s => s.Backend == "vfio" && s.Fault is null).ToList();
        Assert.That(vfio.Select(s => s.Mode), Is.EquivalentTo(new[] { "msi", "msix", "intx" }), "the card through vfio-pci in each of its interrupt modes");
        foreach (var s in vfio)
        {
            Assert.That(s.Facts["driver"], Is.EqualTo("vfio-pci"), s.Name);
            Assert.That(s.Facts["device"], Does.Match(@"^/dev/vfio/\d+$"), s.Name);
            Assert.That(s.Stages.Select(st => st.Name), Is.EqualTo(new[] { "raise-user", "user-done", "total" }), s.Name);
        }
        // vfio stamps only the user's side; the kernel's trace splits its path as valirq's: raise, hard IRQ, IRQ thread, user.
        var traced = vfio.Single(s => s.Mode == "msi").Trace!;
        Assert.That(traced.Matched, Is.GreaterThanOrEqualTo(270), string.Join("; ", traced.Notes));
        Assert.That(traced.Stages.Select(st => st.Name), Is.SupersetOf(new[] { "raise-hardirq", "hardirq-thread", "running-user" }));
        Assert.That(traced.IrqThreads, Has.Some.Contains("vfio"), "vfio-pci's own IRQ thread served the card");
        // The comparison a lab would make by hand: one group, the card idle, a row per interface with its path to user space.
        var idle = r.Comparisons.Single(c => c.Load == "idle");
        Assert.That(idle.Rows.Select(x => x.Backend).Distinct(), Is.EquivalentTo(new[] { "valirq", "uio", "vfio" }));
        Assert.That(idle.Rows.Where(x => x.Backend == "vfio").Select(x => x.ToUserStage), Is.All.EqualTo("raise-user"));
        Assert.That(idle.Rows.All(x => x.ToUser is { P50Ns: > 0 }), Is.True, "every interface has a raise-to-user figure");
        var faults = r.Suites.Where(s => s.Fault is not null).ToList();
        Assert.That(faults.Select(s => s.Fault!.Kind), Is.EquivalentTo(new[] { "kill-in-handler", "kill-random", "hang", "rebind" }));
        foreach (var s in faults)
        {
            Assert.That(s.Fault!.IsVfio, Is.True, s.Name);
            Assert.That(s.Fault.VfioReset, Does.StartWith("reset (pm)"), $"{s.Name}: the 82574L has a PM reset, which vfio-pci uses");
            Assert.That((s.Fault.VfioChecks, s.Fault.VfioBusMasterLeft), Is.EqualTo((4, 0)), $"{s.Name}: bus mastering off after every release");
        }
        var rebind = faults.Single(s => s.Fault!.Kind == "rebind");
        Assert.That(rebind.Fault!.Repetitions.SelectMany(x => x.Events).Count(e => e.Name == "exit (3)"), Is.EqualTo(3),
            "the driver let go of the device on vfio-pci's request each time (exit 3, not killed)");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
    }

    [Test]
    public void The_82540EM_plan_passes_every_suite_on_the_line_it_shares_with_an_edu_card()
    {
        var plan = Path.Combine(Cli.Layout.Root, "testplans", "intel", "82540em.json");
        var (run, r) = RunPlan("mixed-intx", plan, null, "--set", "suiteDefaults:count=300", "--set", "suiteDefaults:repetitions=3");
        AssertEverySuitePassed(r, 9);
        Assert.That(r.Suites.Where(s => s.Fault is not null).Select(s => s.Fault!.Neighbour), Is.All.Not.Null, "the edu card interrupted beside it throughout");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
    }

    [Test]
    public void A_card_is_added_to_the_lab_by_a_plan_and_a_topology_entry_alone()
    {
        // A new arrangement (the 82574L on the legacy chipset, in another slot) and a new plan for it, written
        // here: no code of the harness knows either. The stimulus is a queue cause (RxQ0), which the model
        // never raises by itself with no peer; link status change (LSC), which it raises at link-up, would
        // show as an extra interrupt.
        var dir = Directory.CreateTempSubdirectory("validate-new-card-").FullName;
        var topologies = Path.Combine(dir, "topologies.json");
        File.WriteAllText(topologies, """
            { "topologies": { "nic-on-pc": { "description": "an 82574L on pc, slot 6", "machine": "pc",
              "cards": [ { "model": "e1000e", "id": "8086:10d3", "slot": 6 } ] } } }
            """);
        var plan = Path.Combine(dir, "nic.json");
        File.WriteAllText(plan, """
            {
              "schema": 1, "name": "a NIC from a plan alone",
              "card": { "name": "nic", "vendor": "0x8086", "device": "0x10d3" },
              "registers": { "cause": { "bar": 0, "offset": "0xc0" }, "set": { "bar": 0, "offset": "0xc8" }, "on": { "bar": 0, "offset": "0xd0" }, "off": { "bar": 0, "offset": "0xd8" } },
              "irqProgram": { "check": { "op": "read-ne", "register": "cause", "mask": "0x100000" }, "readToClear": true },
              "init": [ { "op": "write", "register": "on", "value": "0x100000" } ],
              "disable": [ { "op": "write", "register": "off", "value": "0xffffffff" } ],
              "quiesce": [ { "op": "write", "register": "off", "value": "0xffffffff" } ],
              "stimulus": { "register": "set", "value": "0x100000" },
              "realtime": { "priority": 80 },
              "suiteDefaults": { "count": 200, "rateHz": 500, "cpus": [ 1 ], "limits": { "maxLost": 0 } },
              "suites": [
                { "name": "nic-msi-idle", "backend": "valirq", "mode": "msi", "limits": { "maxLost": 0, "maxExtra": 1000 } },
                { "name": "nic-intx-pci23", "backend": "valirq", "mode": "intx-pci23" },
                { "name": "nic-uio", "backend": "uio", "mode": "intx" }
              ]
            }
            """);
        var (run, r) = RunPlan("nic-on-pc", plan, new Dictionary<string, string> { ["VALIDATE_TOPOLOGIES"] = topologies });
        AssertEverySuitePassed(r, 3);
        Assert.That(r.Suites.Select(s => s.Facts["card"]), Is.All.StartWith("0000:00:06.0 8086:10d3"));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Directory.Delete(dir, recursive: true);
    }
}
