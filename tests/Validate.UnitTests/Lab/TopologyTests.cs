using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class TopologyTests
{
    [Test]
    public void The_three_required_topologies_exist() =>
        Assert.That(Topology.All.Select(t => t.Name), Is.SupersetOf(new[] { "single-msi", "single-intx", "shared-intx" }));

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
        Assert.That(Topology.Get("shared-intx").Verify(cards), Does.Contain("expected 2 edu card(s), the guest saw 1"));
    }

    [Test]
    public void A_card_with_another_id_is_reported()
    {
        var cards = GuestCard.ParseList("0000:00:04.0 0x1af4 0x1009 11\n");
        Assert.That(Topology.Get("single-intx").Verify(cards), Does.Contain("1af4:1009"));
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
