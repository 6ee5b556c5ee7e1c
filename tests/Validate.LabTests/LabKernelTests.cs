using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.Lab;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>The lab's kernel installed: Debian's standard kernel (linux-image-amd64) with its modules and headers.</summary>
public sealed class RequiresGenericLabKernelAttribute : RequirementAttribute
{
    protected override string? Missing() =>
        LabHost.FindKernel(LabKernel.Generic) is { } k && Directory.Exists($"/lib/modules/{k.Release}/build")
            ? null
            : $"no {LabKernel.Generic.Description} with headers; {LabKernel.Generic.InstallHint} (./validate installs them)";
}

/// <summary>
/// `validate vlab --kernel generic` boots Debian's standard kernel, not the PREEMPT_RT one: the topology still
/// holds, the cards still share their line, and valirq is built for that kernel and loaded from its own build.
/// </summary>
[RequiresVirtualLab, RequiresGenericLabKernel, VirtualLabCategory]
public class LabKernelTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    private const string Probe =
        "echo \"uname-r: $(uname -r)\"; echo \"uname-v: $(uname -v)\"; " +
        "if [ -e /sys/kernel/realtime ]; then echo \"realtime: $(cat /sys/kernel/realtime)\"; else echo 'realtime: absent'; fi; " +
        "echo \"vlab-kernel: $VALIDATE_VLAB_KERNEL\"; echo \"valirq-ko: $VALIDATE_VALIRQ_KO\"; " +
        "grep -E '^ *[0-9]+:' /proc/interrupts | sed 's/^/irq-line: /'; " +
        "for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor):$(cat $d/device)\" = 0x1234:0x11e8 ] && " +
        "echo \"card: ${d##*/} $(cat $d/irq) $(basename $(readlink $d/driver))\"; done; " +
        "[ -n \"$VALIDATE_VALIRQ_KO\" ] && echo \"valirq-vermagic: $(modinfo -F vermagic \"$VALIDATE_VALIRQ_KO\")\"; " +
        "grep -q '^valirq ' /proc/modules && echo 'valirq-loaded: yes'; true";

    private static string Field(CliRun run, string name) =>
        Regex.Match(run.Stdout, $"^{Regex.Escape(name)}: (.*)$", RegexOptions.Multiline).Groups[1].Value.Trim();

    [Test]
    public void The_generic_kernel_boots_without_preempt_rt_and_the_shared_line_holds()
    {
        var generic = LabHost.FindKernel(LabKernel.Generic)!.Value.Release;
        var run = Cli.Run(Limit, "vlab", "--kernel", "generic", "--topology", "shared-intx", "--timeout", "180", "--", "/bin/sh", "-c", Probe);
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(Field(run, "uname-r"), Is.EqualTo(generic), "the guest booted the generic kernel's release");
            Assert.That(Field(run, "uname-v"), Does.Not.Contain("PREEMPT_RT").And.Contain("PREEMPT"), "uname -v in the guest");
            Assert.That(Field(run, "realtime"), Is.EqualTo("absent"), "/sys/kernel/realtime exists only on PREEMPT_RT");
            Assert.That(Field(run, "vlab-kernel"), Is.EqualTo("generic"));
            var cards = Regex.Matches(run.Stdout, @"^card: (\S+) (\d+) (\S+)", RegexOptions.Multiline);
            Assert.That(cards, Has.Count.EqualTo(2));
            Assert.That(cards.Select(c => c.Groups[3].Value), Is.All.EqualTo("uio_pci_generic"));
            var irq = cards[0].Groups[2].Value;
            Assert.That(cards[1].Groups[2].Value, Is.EqualTo(irq), "both cards on one line");
            Assert.That(Regex.Match(run.Stdout, $@"^irq-line: +{irq}:.*$", RegexOptions.Multiline).Value,
                Does.Match(@"IO-APIC.*fasteoi +uio_pci_generic, uio_pci_generic\s*$"), "both handlers share the line on the generic kernel too");
        });
    }

    [Test]
    public void Valirq_is_built_for_the_generic_kernel_and_loaded_from_its_own_build()
    {
        var generic = LabHost.FindKernel(LabKernel.Generic)!.Value.Release;
        var run = Cli.Run(Limit, "vlab", "--kernel", "generic", "--topology", "single-msi", "--bind", "valirq", "--timeout", "180", "--", "/bin/sh", "-c", Probe);
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var ko = KmodSources.BuildDir(Cli.Layout, generic) + "/valirq.ko";
        Assert.Multiple(() =>
        {
            Assert.That(Field(run, "valirq-ko"), Is.EqualTo(ko), "the guest is handed the .ko built for the kernel it booted");
            Assert.That(Field(run, "valirq-vermagic"), Does.StartWith(generic + " ").And.Not.Contain("preempt_rt"));
            Assert.That(Field(run, "valirq-loaded"), Is.EqualTo("yes"));
            Assert.That(Field(run, "card"), Does.EndWith(" valirq"), "the card is bound to valirq");
        });
    }
}
