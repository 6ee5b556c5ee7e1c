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
    public void Msi_vectors_and_the_msix_table_are_read_from_their_capabilities()
    {
        var cfg = FakePciTree.Config(new FakeFunction("0000:00:05.0", 1, 2, 0, 0, [], MsiVectors: 8, MsixVectors: 64, MsixTableBar: 3, MsixTableOffset: 0x2000));
        Assert.Multiple(() =>
        {
            Assert.That(PciConfig.Msi(cfg), Is.EqualTo(new MsiCapability(8, true, false)));
            Assert.That(PciConfig.Msix(cfg), Is.EqualTo(new MsixCapability(64, 3, 0x2000)));
            Assert.That(PciConfig.CapabilitiesUnreadable(cfg), Is.False);
            Assert.That(PciConfig.CapabilitiesUnreadable(cfg.AsSpan(0, 64)), Is.True, "the header alone, as sysfs gives it to a user");
        });
    }

    [Test]
    public void Intx_masking_is_probed_without_ever_unmasking_and_the_command_register_is_put_back()
    {
        // The command register of a card: writable bit 10 (PCI 2.3), read-only bit 10 (before), already set.
        List<ushort> writes = [];
        ushort reg = 0x0006;
        Assert.That(PciConfig.ProbeIntxMasking(() => reg, v => { writes.Add(v); reg = v; }), Is.True);
        Assert.That((writes, reg), Is.EqualTo((new List<ushort> { 0x0406, 0x0006 }, (ushort)0x0006)), "set, read back, put back");

        writes.Clear();
        reg = 0x0006;
        Assert.That(PciConfig.ProbeIntxMasking(() => reg, v => { writes.Add(v); reg = (ushort)(v & ~PciConfig.CommandIntxDisable); }), Is.False, "the bit does not stick");
        Assert.That(reg, Is.EqualTo((ushort)0x0006));

        writes.Clear();
        reg = 0x0406;
        Assert.That(PciConfig.ProbeIntxMasking(() => reg, writes.Add), Is.True, "a set bit was written: it works");
        Assert.That(writes, Is.Empty, "nothing written: a masked card stays masked");

        Assert.That(PciConfig.ProbeIntxMasking(() => null, writes.Add), Is.Null, "unreadable");
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
