using NUnit.Framework;
using Validate.Devices;

namespace Validate.UnitTests.Devices;

public class PciDeviceTests
{
    [Test]
    public void Msi_is_found_in_the_capability_list()
    {
        // Config space of QEMU's edu card: status has the capability list bit, pointer 0x40 -> MSI (0x05).
        var cfg = new byte[256];
        cfg[0x06] = 0x10;
        cfg[0x34] = 0x40;
        cfg[0x40] = 0x05;
        cfg[0x41] = 0x00;
        Assert.That(PciConfig.Capabilities(cfg), Is.EqualTo((true, false)));
    }

    [Test]
    public void Msix_after_another_capability_is_found()
    {
        var cfg = new byte[256];
        cfg[0x06] = 0x10;
        cfg[0x34] = 0x50;
        cfg[0x50] = 0x09; // vendor specific
        cfg[0x51] = 0x60;
        cfg[0x60] = 0x11; // MSI-X
        Assert.That(PciConfig.Capabilities(cfg), Is.EqualTo((false, true)));
    }

    [Test]
    public void A_looping_capability_list_ends()
    {
        var cfg = new byte[256];
        cfg[0x06] = 0x10;
        cfg[0x34] = 0x40;
        cfg[0x40] = 0x01;
        cfg[0x41] = 0x40; // points at itself
        Assert.That(PciConfig.Capabilities(cfg), Is.EqualTo((false, false)));
    }

    [Test]
    public void Both_handlers_of_a_shared_line_are_read_from_proc_interrupts()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "proc-interrupts-shared.txt");
        var handlers = ProcInterrupts.Handlers(path);
        Assert.Multiple(() =>
        {
            Assert.That(handlers[11], Is.EqualTo(new[] { "uio_pci_generic", "uio_pci_generic" }));
            Assert.That(handlers[24], Is.EqualTo(new[] { "virtio0-config" }));
            Assert.That(handlers[0], Is.EqualTo(new[] { "timer" }));
        });
    }

    [Test]
    public void A_lines_count_is_summed_over_the_cpus_from_proc_interrupts()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "proc-interrupts-shared.txt");
        Assert.Multiple(() =>
        {
            Assert.That(ProcInterrupts.Count(0, path), Is.EqualTo(108));
            Assert.That(ProcInterrupts.Count(4, path), Is.EqualTo(2), "CPU1's count counts too");
            Assert.That(ProcInterrupts.Count(99, path), Is.Null, "a line the kernel does not list");
        });
    }
}
