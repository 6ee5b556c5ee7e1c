using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>Each topology boots the PREEMPT_RT kernel and shows its cards with the promised IRQ arrangement.</summary>
[RequiresVirtualLab, VirtualLabCategory]
public class LabTopologyTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    // In the guest (the lab binds the edu cards to uio_pci_generic, so /proc/interrupts shows the
    // handlers on each card's line): kernel facts, the cards from sysfs, the lines, MSI from lspci.
    private const string Probe =
        "echo \"uname-v: $(uname -v)\"; echo \"realtime: $(cat /sys/kernel/realtime)\"; " +
        "for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor):$(cat $d/device)\" = 0x1234:0x11e8 ] && " +
        "echo \"card: ${d##*/} $(cat $d/irq) $(basename $(readlink $d/driver))\"; done; " +
        "grep -E '^ *[0-9]+:' /proc/interrupts | sed 's/^/irq-line: /'; " +
        "lspci -vv -d 1234:11e8 | grep -c 'MSI:' | sed 's/^/msi-caps: /'";

    private static CliRun Boot(string topology)
    {
        var run = Cli.Run(Limit, "vlab", "--topology", topology, "--timeout", "180", "--", "/bin/sh", "-c", Probe);
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("uname-v: ").And.Contain("PREEMPT_RT"), "uname -v in the guest");
        Assert.That(run.Stdout, Does.Contain("realtime: 1"), "/sys/kernel/realtime in the guest");
        return run;
    }

    private static List<(string Address, int Irq, string Driver)> Cards(CliRun run) =>
        Regex.Matches(run.Stdout, @"^card: (\S+) (\d+) (\S+)", RegexOptions.Multiline)
            .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value), m.Groups[3].Value)).ToList();

    private static string LineOf(CliRun run, int irq) =>
        Regex.Match(run.Stdout, $@"^irq-line: +{irq}:.*$", RegexOptions.Multiline).Value;

    [Test]
    public void Single_msi_has_one_edu_card_with_an_msi_capability()
    {
        var run = Boot("single-msi");
        var cards = Cards(run);
        Assert.That(cards, Has.Count.EqualTo(1));
        Assert.That(cards[0].Driver, Is.EqualTo("uio_pci_generic"));
        Assert.That(run.Stdout, Does.Contain("msi-caps: 1"));
    }

    [Test]
    public void Single_intx_has_one_edu_card_alone_on_its_line()
    {
        var run = Boot("single-intx");
        var cards = Cards(run);
        Assert.That(cards, Has.Count.EqualTo(1));
        var line = LineOf(run, cards[0].Irq);
        Assert.That(Regex.Count(line, "uio_pci_generic"), Is.EqualTo(1), line);
        Assert.That(line, Does.Not.Contain(","), "nothing else on the line: " + line);
    }

    [Test]
    public void Shared_intx_has_two_edu_cards_on_one_line()
    {
        var run = Boot("shared-intx");
        var cards = Cards(run);
        Assert.That(cards, Has.Count.EqualTo(2));
        Assert.That(cards[0].Irq, Is.EqualTo(cards[1].Irq), "both cards report the same IRQ in sysfs");
        var line = LineOf(run, cards[0].Irq);
        Assert.That(line, Does.Match(@"IO-APIC.*fasteoi +uio_pci_generic, uio_pci_generic\s*$"), "/proc/interrupts lists both handlers on the line");
    }
}
