using System.Text.Json.Nodes;
using NUnit.Framework;
using Validate.Devices;
using Validate.Plans;
using Validate.TestSupport;
using Validate.UnitTests.Devices;

namespace Validate.UnitTests.Plans;

/// <summary>
/// validate new-plan's skeleton from cards on a fake sysfs: what it knows is filled from the card (ids, name,
/// the suites each card can run: an MSI-X card, an INTx-only card with and without PCI 2.3 masking, a card
/// with an I/O BAR), what it cannot know is a TODO that `validate run --check` names at its key path with
/// its hint, and once the TODOs are filled from a shipped plan for that kind of card the plan loads.
/// </summary>
public class PlanSkeletonTests
{
    private FakePciTree _tree = null!;
    private string _dir = "";

    [SetUp]
    public void MakeTree()
    {
        _tree = new FakePciTree();
        _dir = Directory.CreateTempSubdirectory("validate-skeleton-").FullName;
    }

    [TearDown]
    public void RemoveTree()
    {
        _tree.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    // The lab's cards as sysfs shows them in the iommu and mixed-intx topologies (edu: QEMU docs/specs/edu.rst;
    // 82574L: BAR 0 and 1 memory, 2 I/O, 3 the MSI-X table; 82540EM: PCI, INTx only, BAR 0 memory, 1 I/O).
    private static readonly FakeFunction Edu = new("0000:00:04.0", 0x1234, 0x11e8, 0x10, 0x00ff00, [new FakeBar(0, "mem32", 1 << 20)],
        MsiVectors: 1, Driver: "uio_pci_generic", IommuGroup: 1, SubsystemVendor: 0x1af4, SubsystemDevice: 0x1100);

    private static readonly FakeFunction Nic82574 = new("0000:00:05.0", 0x8086, 0x10d3, 0x00, 0x020000,
        [new FakeBar(0, "mem32", 128 << 10), new FakeBar(1, "mem32", 128 << 10), new FakeBar(2, "io", 32), new FakeBar(3, "mem32", 16 << 10)],
        MsiVectors: 1, MsixVectors: 5, MsixTableBar: 3, IommuGroup: 2, SubsystemVendor: 0x8086, SubsystemDevice: 0x0000);

    private static readonly FakeFunction Nic82540 = new("0000:00:04.0", 0x8086, 0x100e, 0x03, 0x020000,
        [new FakeBar(0, "mem32", 128 << 10), new FakeBar(1, "io", 64)], Irq: 11);

    private CardSurvey Survey(FakeFunction f, Func<string, bool?>? probe = null, Func<string, string?>? name = null)
    {
        _tree.Add(f);
        return CardSurvey.Read(f.Address, _tree.Sys, name ?? (_ => null), probe);
    }

    private static JsonObject Skeleton(CardSurvey card) => JsonNode.Parse(PlanSkeleton.Write(card))!.AsObject();

    private static List<string> SuiteNames(JsonObject plan) => plan["suites"]!.AsArray().Select(s => (string)s!["name"]!).ToList();

    private static JsonObject SuiteNamed(JsonObject plan, string name) => plan["suites"]!.AsArray().Single(s => (string)s!["name"]! == name)!.AsObject();

    /// <summary>Writes a plan where plans live (beside a copy of testplans/defaults.json) and loads it as `validate run --check` does.</summary>
    private Plan Load(string json, string file = "card.json")
    {
        var path = Path.Combine(SkeletonFill.PlanFolder(_dir), file);
        File.WriteAllText(path, json);
        return PlanLoader.Load(path, cpuCount: 2);
    }

    private PlanException Refused(string json) => Assert.Throws<PlanException>(() => Load(json))!;

    [Test]
    public void An_msix_card_gets_each_of_its_modes_through_valirq_uio_and_vfio_and_fault_suites_on_msi()
    {
        var card = Survey(Nic82574, probe: _ => true);
        Assert.Multiple(() =>
        {
            Assert.That(card.Msix, Is.EqualTo(new MsixCapability(5, 3, 0)));
            Assert.That(card.Msi, Is.EqualTo(new MsiCapability(1, true, false)));
            Assert.That(card.Bars.Select(b => b.ToString()), Is.EqualTo(new[] { "BAR 0 mem32 128 KiB", "BAR 1 mem32 128 KiB", "BAR 2 io 32 B", "BAR 3 mem32 16 KiB" }));
        });
        var plan = Skeleton(card);
        Assert.That(SuiteNames(plan), Is.EqualTo(new[]
        {
            "valirq-msi-idle", "valirq-msix-idle", "valirq-intx-pci23-idle", "uio-idle", "vfio-msi-idle", "vfio-msix-idle", "vfio-intx-idle",
            "fault-kill-in-handler-msi", "fault-hang-msi",
        }));
        Assert.Multiple(() =>
        {
            Assert.That(SuiteNamed(plan, "valirq-msix-idle")["vectors"]!.AsArray().Select(v => (int)v!), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }), "every MSI-X table entry");
            Assert.That(SuiteNamed(plan, "vfio-msix-idle")["vectors"]!.AsArray().Count, Is.EqualTo(5));
            Assert.That((string?)SuiteNamed(plan, "fault-hang-msi")["driver"], Is.EqualTo("card-aot"));
            Assert.That((string?)plan["description"], Does.Contain("MSI-X 5 vectors (table in BAR 3 at 0x0)").And.Contain("IOMMU group 2"));
            Assert.That(plan.ContainsKey("health"), Is.True, "fault suites: the card's health is asked for");
        });
    }

    [Test]
    public void The_schema_reference_comes_first_and_the_ids_are_hex_strings_and_the_name_is_lspcis()
    {
        var plan = Skeleton(Survey(Edu, name: a => a == Edu.Address ? "Red Hat, Inc. QEMU PCI Test Device" : null));
        Assert.Multiple(() =>
        {
            Assert.That(plan.First().Key, Is.EqualTo("$schema"));
            Assert.That((string?)plan["$schema"], Is.EqualTo("../plan.schema.json"));
            var c = plan["card"]!;
            Assert.That(((string?)c["name"], (string?)c["vendor"], (string?)c["device"], (string?)c["revision"]),
                Is.EqualTo(("Red Hat, Inc. QEMU PCI Test Device", "0x1234", "0x11e8", "0x10")));
            Assert.That((string?)plan["name"], Is.EqualTo("Red Hat, Inc. QEMU PCI Test Device"));
            Assert.That((string?)plan["description"], Does.Contain("subsystem 1af4:1100, driver uio_pci_generic").And.Contain("uio_pci_generic is bound"));
        });
        Assert.That((string?)Skeleton(Survey(Edu with { Address = "0000:00:06.0" }))["card"]!["name"], Is.EqualTo("1234:11e8"), "without lspci: vendor:device");
    }

    [Test]
    public void The_name_is_the_vendor_and_device_fields_of_lspci_mm()
    {
        const string line = "00:05.0 \"Ethernet controller\" \"Intel Corporation\" \"82574L Gigabit Network Connection\" -p00 \"Intel Corporation\" \"Device 0000\"\n";
        Assert.That(CardSurvey.NameFromLspciMm(line), Is.EqualTo("Intel Corporation 82574L Gigabit Network Connection"));
        Assert.That(CardSurvey.NameFromLspciMm(""), Is.Null);
    }

    [Test]
    public void An_intx_only_card_with_pci23_masking_gets_intx_pci23_uio_and_fault_suites_on_intx()
    {
        // No driver: the probe sets the Interrupt Disable bit of the fake config file, reads it back (it sticks) and puts it back.
        var config = _tree.Add(Nic82540);
        var before = File.ReadAllBytes(config);
        var card = CardSurvey.Read(Nic82540.Address, _tree.Sys, _ => null);
        Assert.That((card.IntxMasking, card.IntxMaskingHow), Is.EqualTo((true, "works: the Interrupt Disable bit takes a write")));
        Assert.That(File.ReadAllBytes(config), Is.EqualTo(before), "the command register is as it was");
        var plan = Skeleton(card);
        Assert.That(SuiteNames(plan), Is.EqualTo(new[] { "valirq-intx-pci23-idle", "uio-idle", "fault-kill-in-handler-intx-pci23", "fault-hang-intx-pci23" }));
        Assert.That((string?)plan["description"], Does.Contain("no MSI; no MSI-X; INTx pin A, IRQ 11").And.Contain("no IOMMU group (no vfio suites)"));
    }

    [Test]
    public void An_intx_only_card_without_masking_gets_intx_exclusive_and_nothing_that_needs_masking()
    {
        var card = Survey(Nic82540, probe: _ => false);
        var plan = Skeleton(card);
        Assert.That(SuiteNames(plan), Is.EqualTo(new[] { "valirq-intx-exclusive-idle" }), "no uio (it binds only a card whose INTx masks), no intx-pci23, no driver mode for fault suites");
        Assert.Multiple(() =>
        {
            Assert.That(plan.ContainsKey("health"), Is.False, "no fault suites: no health to check after them");
            Assert.That((string?)plan["description"], Does.Contain("PCI 2.3 INTx masking does not work"));
        });
        var filled = SkeletonFill.Fill(plan.ToJsonString(), Path.Combine(Cli.Layout.Root, "testplans", "intel", "82540em.json"));
        Assert.That(Load(filled).Suites.Select(s => s.Mode), Is.EqualTo(new[] { "intx-exclusive" }));
    }

    [Test]
    public void A_card_with_an_io_bar_has_its_registers_in_its_memory_bar_and_is_told_about_the_other()
    {
        var plan = Skeleton(Survey(Nic82540, probe: _ => true));
        var registers = plan["registers"]!.AsObject();
        Assert.That(registers.Select(r => r.Key), Is.EqualTo(new[] { "cause", "ack", "raise" }));
        foreach (var (name, r) in registers)
        {
            Assert.That(((int?)r!["bar"], (string?)r["space"]), Is.EqualTo(((int?)0, "mem")), name);
            Assert.That((string?)r["offset"], Does.StartWith("TODO: the offset of the register ").And.Contain(" in BAR 0 mem32 128 KiB (0x0 to 0x1fffc), e.g. \"0x24\"; ")
                .And.Contain("; if it is in another BAR (BAR 1 io 64 B), change bar and space (mem or io) too"), name);
        }
        Assert.That((string?)plan["description"], Does.Contain("BAR 0 mem32 128 KiB, BAR 1 io 64 B").And.Contain("should they be in the I/O BAR, keep the valirq suites only"));
    }

    [Test]
    public void A_card_with_only_an_io_bar_gets_valirq_suites_the_kernel_acknowledges_and_io_registers()
    {
        var ioCard = new FakeFunction("0000:00:07.0", 0x1af4, 0x7777, 0x01, 0x078000, [new FakeBar(0, "io", 256)], MsiVectors: 2, IommuGroup: 4);
        var plan = Skeleton(Survey(ioCard, probe: _ => true));
        Assert.That(SuiteNames(plan), Is.EqualTo(new[] { "valirq-msi-idle", "valirq-intx-exclusive-idle" }),
            "uio, vfio, intx-pci23 and the fault suites' driver reach registers from user space, in memory BARs only");
        var cause = plan["registers"]!["cause"]!;
        Assert.Multiple(() =>
        {
            Assert.That(((int?)cause["bar"], (string?)cause["space"]), Is.EqualTo(((int?)0, "io")));
            Assert.That((string?)cause["offset"], Does.Contain("in BAR 0 io 256 B (0x0 to 0xfc)").And.Contain("width 1, 2 or 4 bytes"));
            Assert.That((string?)plan["description"], Does.Contain("MSI 2 vectors (64-bit)").And.Contain("No memory BAR"));
        });
    }

    [Test]
    public void Check_names_every_todo_field_with_its_hint_and_nothing_else()
    {
        var plan = Skeleton(Survey(Nic82574, probe: _ => true));
        var todos = PlanSkeleton.TodoPaths(plan);
        Assert.That(todos, Is.EquivalentTo(new[]
        {
            "registers:cause:offset", "registers:ack:offset", "registers:raise:offset", "irqProgram:check:mask", "irqProgram:ack",
            "init", "disable", "quiesce", "stimulus:value", "health",
        }));
        var e = Refused(PlanSkeleton.Format(plan));
        Assert.That(e.Errors.Select(x => x.KeyPath), Is.EquivalentTo(todos), e.Message);
        foreach (var error in e.Errors)
        {
            var hint = ((string)Find(plan, error.KeyPath)!)["TODO:".Length..].Trim();
            Assert.That(error.Message, Is.EqualTo("still a TODO from validate new-plan: " + hint), error.KeyPath);
        }
        Assert.That(e.Message.Split('\n'), Has.Some.Match(@"card\.json: registers:cause:offset: still a TODO from validate new-plan: the offset of the register that says the card is interrupting \(the irqProgram check reads it\) in BAR 0 mem32 128 KiB"));
    }

    private static JsonNode? Find(JsonNode node, string keyPath) =>
        keyPath.Split(':').Aggregate((JsonNode?)node, (n, k) => n is JsonArray a ? a[int.Parse(k, System.Globalization.CultureInfo.InvariantCulture)] : n?[k]);

    [Test]
    public void A_todo_anywhere_is_named_and_one_a_later_layer_replaced_is_not()
    {
        var plan = Skeleton(Survey(Edu));
        plan["suites"]![0]!["count"] = "TODO: how many samples";
        var e = Refused(PlanSkeleton.Format(plan));
        Assert.That(e.Errors.Select(x => (x.KeyPath, x.Message)), Does.Contain(("suites:0:count", "still a TODO from validate new-plan: how many samples")));
        Assert.That(e.Errors.Count(x => x.KeyPath == "suites:0:count"), Is.EqualTo(1), "one line per TODO, no type error beside it");

        var path = Path.Combine(SkeletonFill.PlanFolder(_dir), "set.json");
        File.WriteAllText(path, PlanSkeleton.Format(plan));
        var set = Assert.Throws<PlanException>(() => PlanLoader.Load(path, ["suites:0:count=10", "stimulus:value=1"], cpuCount: 2))!;
        Assert.That(set.Errors.Select(x => x.KeyPath), Does.Not.Contain("suites:0:count").And.Not.Contain("stimulus:value").And.Contain("registers:cause:offset"));
    }

    [Test]
    public void Filled_from_the_edu_plan_the_skeleton_of_an_edu_card_loads()
    {
        var card = Survey(Edu);
        var filled = SkeletonFill.Fill(PlanSkeleton.Write(card), Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json"));
        var plan = Load(filled);
        Assert.Multiple(() =>
        {
            Assert.That((plan.Card.Vendor, plan.Card.Device, plan.Card.Revision), Is.EqualTo(((ushort)0x1234, (ushort)0x11e8, (byte?)0x10)));
            Assert.That(plan.Suites.Select(s => s.Name), Is.EqualTo(new[]
            {
                "valirq-msi-idle", "valirq-intx-pci23-idle", "uio-idle", "vfio-msi-idle", "vfio-intx-idle", "fault-kill-in-handler-msi", "fault-hang-msi",
            }));
            Assert.That(plan.Suites.Where(s => s.Fault is null).Select(s => s.Count), Is.All.EqualTo(1000), "modest counts");
            Assert.That(plan.Suites.Where(s => s.Fault is not null).Select(s => (s.Fault!.Driver.Name, s.Fault.Repetitions)), Is.All.EqualTo(("card-aot", 5)));
            Assert.That(plan.Stimulus, Is.Not.Null);
            Assert.That(plan.Health, Has.Count.EqualTo(3), "edu's health checks");
        });
    }

    [Test]
    public void Filled_from_the_82574L_plan_the_skeleton_of_an_82574L_loads_with_every_msix_vector()
    {
        var filled = SkeletonFill.Fill(PlanSkeleton.Write(Survey(Nic82574, probe: _ => true)), Path.Combine(Cli.Layout.Root, "testplans", "intel", "82574l.json"));
        var plan = Load(filled);
        Assert.That(plan.Suites, Has.Count.EqualTo(9));
        Assert.That(plan.Suites.Single(s => s.Name == "valirq-msix-idle").VectorMask, Is.EqualTo(0x1fu));
    }

    [Test]
    public void Filled_from_the_82540EM_plan_the_skeleton_of_an_82540EM_loads()
    {
        var filled = SkeletonFill.Fill(PlanSkeleton.Write(Survey(Nic82540)), Path.Combine(Cli.Layout.Root, "testplans", "intel", "82540em.json"));
        Assert.That(Load(filled).Suites.Select(s => (s.Name, s.Mode)), Is.EqualTo(new[]
        {
            ("valirq-intx-pci23-idle", "intx-pci23"), ("uio-idle", "intx"), ("fault-kill-in-handler-intx-pci23", "intx-pci23"), ("fault-hang-intx-pci23", "intx-pci23"),
        }));
    }

    [Test]
    public void A_card_that_cannot_interrupt_gets_no_plan()
    {
        var silent = new FakeFunction("0000:00:09.0", 0x1af4, 0x7778, 0x00, 0x050000, [new FakeBar(0, "mem32", 4096)], Pin: 0);
        var e = Assert.Throws<ValidateException>(() => PlanSkeleton.Build(Survey(silent)))!;
        Assert.That((e.ExitCode, e.Message), Is.EqualTo((ExitCodes.SetupError, "0000:00:09.0 has no MSI, no MSI-X and no INTx pin: it cannot interrupt, so a plan has nothing to measure on it")));
    }

    [Test]
    public void No_such_card_names_the_address_and_validate_devices()
    {
        var e = Assert.Throws<ValidateException>(() => CardSurvey.Read("0000:00:1f.7", _tree.Sys))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.SetupError));
        Assert.That(e.Message, Does.StartWith("no PCI function at 0000:00:1f.7 on this machine").And.Contain("`validate devices`"));
    }

    [Test]
    public void Config_space_read_without_root_says_to_run_as_root()
    {
        // sysfs gives an unprivileged reader the 64-byte header: the capability pointer leads past it.
        var e = Assert.Throws<ValidateException>(() => Survey(Edu with { HeaderOnly = true }))!;
        Assert.That((e.ExitCode, e.Message), Is.EqualTo((ExitCodes.SetupError,
            $"{_tree.ConfigOf(Edu.Address)}: only the 64-byte header is readable, not the capabilities (MSI, MSI-X) behind it: run validate new-plan as root")));
    }

    [TestCase("00:04.0", "0000:00:04.0")]
    [TestCase("0000:0A:1f.7", "0000:0a:1f.7")]
    [TestCase("4.0", null)]
    [TestCase("0000:00:04", null)]
    public void Addresses_are_taken_as_lspci_and_sysfs_write_them(string given, string? expected) =>
        Assert.That(CardSurvey.NormalizeAddress(given), Is.EqualTo(expected));
}
