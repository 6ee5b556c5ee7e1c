using NUnit.Framework;
using Validate.Interop;

namespace Validate.UnitTests.Interop;

/// <summary>What keeps a card from VFIO is said with its fix, read from sysfs (here a fake tree).</summary>
public class VfioSetupTests
{
    private const string Card = "0000:00:04.0";
    private string _sys = "", _dev = "";

    [SetUp]
    public void MakeTree()
    {
        var root = Directory.CreateTempSubdirectory("validate-vfio-").FullName;
        _sys = Path.Combine(root, "sys");
        _dev = Path.Combine(root, "dev");
        Directory.CreateDirectory(Path.Combine(_sys, "bus/pci/devices", Card));
        Directory.CreateDirectory(Path.Combine(_sys, "bus/pci/drivers/vfio-pci"));
        Directory.CreateDirectory(Path.Combine(_sys, "bus/pci/drivers/e1000e"));
        Directory.CreateDirectory(Path.Combine(_dev, "vfio"));
        File.WriteAllText(Path.Combine(_dev, "vfio/vfio"), "");
    }

    [TearDown]
    public void RemoveTree() => Directory.Delete(Path.GetDirectoryName(_sys)!, recursive: true);

    private void Group(int n, params string[] members)
    {
        var devices = Path.Combine(_sys, "kernel/iommu_groups", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "devices");
        Directory.CreateDirectory(devices);
        foreach (var m in members)
        {
            Directory.CreateDirectory(Path.Combine(_sys, "bus/pci/devices", m));
            File.CreateSymbolicLink(Path.Combine(devices, m), Path.Combine(_sys, "bus/pci/devices", m));
            var link = Path.Combine(_sys, "bus/pci/devices", m, "iommu_group");
            if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, Path.GetDirectoryName(devices)!);
        }
    }

    private void Driver(string address, string driver) =>
        File.CreateSymbolicLink(Path.Combine(_sys, "bus/pci/devices", address, "driver"), Path.Combine(_sys, "bus/pci/drivers", driver));

    [Test]
    public void A_card_alone_in_its_group_with_vfio_pci_loaded_has_no_problem()
    {
        Group(1, Card);
        Assert.That(VfioSetup.Problems(Card, _sys, _dev), Is.Empty);
        Assert.That(VfioSetup.GroupOf(Card, out _, _sys), Is.EqualTo(1));
    }

    [Test]
    public void A_machine_without_an_iommu_is_told_to_turn_it_on()
    {
        var p = VfioSetup.Problems(Card, _sys, _dev);
        Assert.That(p.Single(), Does.Contain("has no IOMMU group").And.Contain("intel_iommu=on"));
    }

    [Test]
    public void Vfio_pci_not_loaded_is_told_to_modprobe_it()
    {
        Group(1, Card);
        Directory.Delete(Path.Combine(_sys, "bus/pci/drivers/vfio-pci"));
        Assert.That(VfioSetup.Problems(Card, _sys, _dev).Single(), Does.StartWith("vfio-pci is not loaded: modprobe vfio-pci"));
    }

    [Test]
    public void A_device_sharing_the_group_under_a_host_driver_is_named_with_its_driver()
    {
        Group(3, Card, "0000:00:04.1", "0000:00:04.2");
        Driver("0000:00:04.1", "e1000e");
        Driver("0000:00:04.2", "vfio-pci");
        var p = VfioSetup.Problems(Card, _sys, _dev).Single();
        Assert.That(p, Does.Contain("not alone in IOMMU group 3: 0000:00:04.1 (e1000e) also in it"));
        Assert.That(p, Does.Not.Contain("04.2"), "a device given to vfio-pci does not block the group");
    }

    [Test]
    public void An_absent_card_is_named()
    {
        Assert.That(VfioSetup.Problems("0000:00:09.0", _sys, _dev).Single(), Does.Contain("no such PCI function"));
    }
}
