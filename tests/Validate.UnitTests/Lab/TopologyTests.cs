using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class TopologyTests
{
    [Test]
    public void The_shipped_topologies_exist() =>
        Assert.That(TopologyCatalog.Default.All.Select(t => t.Name),
            Is.SupersetOf(new[] { "single-msi", "single-intx", "shared-intx", "msi-reset", "intel-msix", "mixed-intx" }));

    [Test]
    public void Intel_msix_puts_one_82574L_on_q35()
    {
        var t = Topology.Get("intel-msix");
        Assert.Multiple(() =>
        {
            Assert.That(t.QemuDeviceArgs().ToArray(), Is.EqualTo(new[] { "-M", "q35", "-device", "e1000e,addr=0x4" }));
            Assert.That(t.Verify(GuestCard.ParseList("0000:00:04.0 0x8086 0x10d3 22\n")), Is.Null);
            Assert.That(t.Verify(GuestCard.ParseList("0000:00:04.0 0x1234 0x11e8 22\n")), Does.Contain("expected cards 8086:10d3, the guest saw 1234:11e8"));
        });
    }

    [Test]
    public void Mixed_intx_puts_two_vendors_on_one_line()
    {
        var t = Topology.Get("mixed-intx");
        Assert.Multiple(() =>
        {
            Assert.That(t.QemuDeviceArgs().ToArray(), Is.EqualTo(new[] { "-M", "pc", "-device", "e1000,addr=0x4", "-device", "edu,addr=0x8" }));
            Assert.That(t.Ids, Is.EquivalentTo(new[] { "8086:100e", "1234:11e8" }));
            Assert.That(t.Verify(GuestCard.ParseList("0000:00:04.0 0x8086 0x100e 11\n0000:00:08.0 0x1234 0x11e8 11\n")), Is.Null);
            Assert.That(t.Verify(GuestCard.ParseList("0000:00:04.0 0x8086 0x100e 11\n0000:00:08.0 0x1234 0x11e8 10\n")), Does.Contain("share one INTx line"));
        });
    }

    [TestCase("qemu/edu.json", "shared-intx")]
    [TestCase("intel/82574l.json", "iommu")]
    [TestCase("intel/82540em.json", "mixed-intx")]
    public void The_demo_boots_the_topology_that_holds_the_plans_card_and_its_neighbour(string plan, string topology)
    {
        var p = Validate.Plans.PlanLoader.Load(Path.Combine(Validate.TestSupport.Cli.Layout.Root, "testplans", plan), cpuCount: 2);
        Assert.That(TopologyCatalog.Default.ForPlan(p).Name, Is.EqualTo(topology));
    }

    [Test]
    public void A_card_is_added_to_the_lab_by_a_topology_entry_alone()
    {
        var catalog = TopologyCatalog.Parse("t.json", """
            { "topologies": { "fpga": { "machine": "q35", "cards": [ { "model": "my-fpga", "id": "10ee:7021", "slot": 6, "options": "lanes=4" } ] } } }
            """);
        var t = catalog.Get("fpga");
        Assert.Multiple(() =>
        {
            Assert.That(catalog.DefaultName, Is.EqualTo("fpga"));
            Assert.That(t.QemuDeviceArgs().ToArray(), Is.EqualTo(new[] { "-M", "q35", "-device", "my-fpga,addr=0x6,lanes=4" }));
            Assert.That(t.Ids, Is.EqualTo(new[] { "10ee:7021" }));
        });
    }

    [TestCase("{", "the file is not valid JSON")]
    [TestCase("[]", "the file is not a JSON object")]
    [TestCase("""{ "topologies": {} }""", "topologies is empty")]
    [TestCase("""{ "topologies": { "a": { "machine": "virt", "cards": [] } } }""", "topologies.a.machine is 'virt': use q35")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [] } } }""", "topologies.a.cards is missing, empty or not a list")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu", "id": "1234", "slot": 4 } ] } } }""", "topologies.a.cards[0].id is '1234': give vendor:device in hex")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 16 } ] } } }""", "topologies.a.cards[0].slot is missing or out of range")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 4, "behindRootPort": true } ] } } }""", "behindRootPort needs PCIe")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 4 }, { "model": "edu", "id": "1234:11e8", "slot": 4 } ] } } }""", "puts two cards in slot 4")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu,x=1", "id": "1234:11e8", "slot": 4 } ] } } }""", "cards[0].model is 'edu,x=1'")]
    [TestCase("""{ "topologies": { "a": { "machine": "pc", "iommu": true, "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 4 } ] } } }""", "topologies.a.iommu needs q35")]
    [TestCase("""{ "topologies": { "a": { "machine": "q35", "iommu": 1, "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 4 } ] } } }""", "topologies.a.iommu is not true or false")]
    [TestCase("""{ "default": "b", "topologies": { "a": { "machine": "pc", "cards": [ { "model": "edu", "id": "1234:11e8", "slot": 4 } ] } } }""", "default names 'b'")]
    public void A_broken_topology_file_is_one_line_naming_the_key_and_the_fix(string text, string expected)
    {
        var e = Assert.Throws<ValidateException>(() => TopologyCatalog.Parse("lab.json", text))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError));
            Assert.That(e.Message, Does.StartWith("lab.json: ").And.Contain(expected).And.Not.Contain("\n"));
        });
    }

    [Test]
    public void An_unknown_topology_is_a_usage_error_that_lists_the_choices()
    {
        var e = Assert.Throws<ValidateException>(() => Topology.Get("dual"))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.Usage));
            Assert.That(e.Message, Does.Contain("'dual'").And.Contain("single-msi").And.Contain("shared-intx"));
        });
    }

    [Test]
    public void Shared_intx_puts_two_cards_on_the_legacy_chipset()
    {
        var args = Topology.Get("shared-intx").QemuDeviceArgs().ToArray();
        Assert.That(args, Is.EqualTo(new[] { "-M", "pc", "-device", "edu,addr=0x4", "-device", "edu,addr=0x8" }));
    }

    [Test]
    public void Shared_intx_accepts_two_edu_cards_on_one_line()
    {
        var cards = GuestCard.ParseList("0000:00:04.0 0x1234 0x11e8 11\n0000:00:08.0 0x1234 0x11e8 11\n");
        Assert.That(Topology.Get("shared-intx").Verify(cards), Is.Null);
    }

    [Test]
    public void Shared_intx_rejects_cards_on_different_lines()
    {
        var cards = GuestCard.ParseList("0000:00:04.0 0x1234 0x11e8 11\n0000:00:08.0 0x1234 0x11e8 10\n");
        Assert.That(Topology.Get("shared-intx").Verify(cards), Does.Contain("share one INTx line").And.Contain("11, 10"));
    }

    [Test]
    public void A_missing_card_is_reported()
    {
        var cards = GuestCard.ParseList("0000:00:04.0 0x1234 0x11e8 11\n");
        Assert.That(Topology.Get("shared-intx").Verify(cards), Does.Contain("expected cards 1234:11e8, 1234:11e8, the guest saw 1234:11e8"));
    }

    [Test]
    public void A_card_with_another_id_is_reported()
    {
        var cards = GuestCard.ParseList("0000:00:04.0 0x1af4 0x1009 11\n");
        Assert.That(Topology.Get("single-intx").Verify(cards), Does.Contain("the guest saw 1af4:1009"));
    }

    [Test]
    public void The_iommu_topology_puts_an_emulated_vt_d_with_interrupt_remapping_ahead_of_its_cards()
    {
        var t = Topology.Get("iommu");
        var args = t.QemuDeviceArgs().ToList();
        Assert.That(args[..2], Is.EqualTo(new[] { "-M", "q35,kernel-irqchip=split" }));
        Assert.That(args[2..4], Is.EqualTo(new[] { "-device", "intel-iommu,intremap=on" }), "the IOMMU before any card");
        Assert.That(t.KernelArgs, Does.Contain("intel_iommu=on"));
        Assert.That(t.Ids, Is.SupersetOf(new[] { "1234:11e8", "8086:10d3" }));
        Assert.That(Topology.Get("single-msi").KernelArgs, Is.Empty, "no IOMMU where the topology has none");
        Assert.That(Topology.Get("single-msi").QemuDeviceArgs().ToList()[1], Is.EqualTo("q35"));
    }

    [Test]
    public void Msi_reset_puts_the_card_behind_a_root_port_so_it_can_be_reset()
    {
        var t = Topology.Get("msi-reset");
        Assert.Multiple(() =>
        {
            Assert.That(t.QemuDeviceArgs().ToArray(), Is.EqualTo(new[]
            {
                "-M", "q35", "-device", "pcie-root-port,id=rp5,chassis=5,slot=5,addr=0x5", "-device", "edu,bus=rp5,addr=0",
            }));
            Assert.That(t.Verify(GuestCard.ParseList("0000:01:00.0 0x1234 0x11e8 22\n")), Is.Null);
            Assert.That(t.Verify(GuestCard.ParseList("0000:00:05.0 0x1234 0x11e8 22\n")), Does.Contain("root bus"));
        });
    }
}
