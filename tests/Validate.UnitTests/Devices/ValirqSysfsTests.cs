using NUnit.Framework;
using Validate.Devices;
using Validate.Interop;

namespace Validate.UnitTests.Devices;

/// <summary>valirq's sysfs read as `validate devices` and the fault suites read it, and where its debugfs hooks are.</summary>
public class ValirqSysfsTests
{
    private string _root = "";
    private const string Card = "0000:00:04.0";

    [SetUp]
    public void MakeTree()
    {
        _root = Directory.CreateTempSubdirectory("validate-valirq-sysfs-").FullName;
        var dir = Directory.CreateDirectory(Path.Combine(_root, "valirq-" + Card)).FullName;
        var files = new Dictionary<string, string>
        {
            ["hardirqs"] = "120", ["irq_none"] = "3", ["events"] = "118", ["overruns"] = "0", ["masks"] = "118", ["unmasks"] = "118",
            ["quiesces"] = "4", ["quiesce_failures"] = "1", ["resets"] = "2", ["reset_failures"] = "0", ["mismatches"] = "0", ["revocations"] = "1",
            ["mode"] = "intx-shared", ["masked"] = "0", ["intx_disabled"] = "1", ["busmaster"] = "0",
            ["last_release"] = "reset", ["intx_hold"] = "handler mismatch",
        };
        foreach (var (k, v) in files) File.WriteAllText(Path.Combine(dir, k), v + "\n");
    }

    [TearDown]
    public void RemoveTree() => Directory.Delete(_root, recursive: true);

    [Test]
    public void Every_new_file_is_read()
    {
        var s = ValirqSysfs.Read(Card, _root);
        Assert.That(s.Present, Is.True);
        Assert.That((s.Mode, s.LastRelease, s.IntxHold, s.Busmaster, s.Masked, s.IntxDisabled), Is.EqualTo(("intx-shared", "reset", "handler mismatch", (bool?)false, (bool?)false, (bool?)true)));
        Assert.That(s.HoldList, Is.EqualTo(new[] { "handler", "mismatch" }));
        Assert.That((s["resets"], s["reset_failures"], s["mismatches"], s["quiesce_failures"]), Is.EqualTo((2L, 0L, 0L, 1L)));
        Assert.That(s.Counters.Keys, Is.EquivalentTo(ValirqSysfs.CounterNames));
    }

    [Test]
    public void Devices_prints_mode_busmaster_release_hold_and_every_counter_as_key_value()
    {
        var dev = new PciDevice(Card, 0x1234, 0x11e8, 0x10, 0x00ff00, 11, "valirq", true, false);
        Assert.That(dev.ValirqState(_root), Is.EqualTo(
            "intx-shared busmaster=0 masked=0 intx_disabled=1 last_release=reset intx_hold=handler,mismatch hardirqs=120 irq_none=3 events=118 overruns=0 " +
            "masks=118 unmasks=118 quiesces=4 quiesce_failures=1 resets=2 reset_failures=0 mismatches=0 revocations=1"));
        Assert.That((dev with { Driver = "uio_pci_generic" }).ValirqState(_root), Is.Null, "only for cards bound to valirq");
    }

    [Test]
    public void An_older_valirq_without_the_new_files_still_reads()
    {
        foreach (var f in new[] { "resets", "reset_failures", "mismatches", "last_release", "intx_hold", "busmaster" })
            File.Delete(Path.Combine(_root, "valirq-" + Card, f));
        var s = ValirqSysfs.Read(Card, _root);
        Assert.That((s.LastRelease, s.IntxHold, s.Busmaster, s.HoldList.Count), Is.EqualTo(((string?)null, (string?)null, (bool?)null, 0)));
        Assert.That(s.Describe(), Does.StartWith("intx-shared masked=0 intx_disabled=1 hardirqs=120").And.Not.Contain("resets="));
    }

    [Test]
    public void A_card_not_bound_has_no_state() =>
        Assert.That(ValirqSysfs.Read("0000:00:05.0", _root).Present, Is.False);

    [Test]
    public void Debugfs_is_found_mounted_or_not_in_the_mount_table_and_its_absence_names_the_fix()
    {
        var mounts = Path.Combine(_root, "mounts");
        File.WriteAllText(mounts, "sysfs /sys sysfs rw,nosuid 0 0\nproc /proc proc rw 0 0\n");
        Assert.That(ValirqDebugfs.IsMounted(mounts), Is.False);
        Assert.That(ValirqDebugfs.Problem(Card, ValirqDebugfs.Stimulus(Card), mounts),
            Is.EqualTo("debugfs is not mounted at /sys/kernel/debug, where valirq's test hooks are (/sys/kernel/debug/valirq/0000:00:04.0/stimulus): mount -t debugfs none /sys/kernel/debug"));
        File.AppendAllText(mounts, "debugfs /sys/kernel/debug debugfs rw,relatime 0 0\n");
        Assert.That(ValirqDebugfs.IsMounted(mounts), Is.True);
        Assert.That(ValirqDebugfs.IsMounted(Path.Combine(_root, "no-such-mounts")), Is.False);
    }

    [TestCase("[none] integrity confidentiality\n", "none")]
    [TestCase("none [integrity] confidentiality\n", "integrity")]
    [TestCase("none integrity [confidentiality]\n", "confidentiality")]
    public void The_kernels_lockdown_mode_is_the_bracketed_one(string text, string mode)
    {
        var path = Path.Combine(_root, "lockdown");
        File.WriteAllText(path, text);
        Assert.That(ValirqDebugfs.Lockdown(path), Is.EqualTo(mode));
        Assert.That(ValirqDebugfs.Lockdown(Path.Combine(_root, "absent")), Is.Null);
    }

    [Test]
    public void The_hooks_are_per_card_under_debugfs_valirq()
    {
        Assert.That(ValirqDebugfs.Stimulus(Card), Is.EqualTo("/sys/kernel/debug/valirq/0000:00:04.0/stimulus"));
        Assert.That(ValirqDebugfs.Revoke(Card), Is.EqualTo("/sys/kernel/debug/valirq/0000:00:04.0/revoke"));
        Assert.That(ValirqDebugfs.Bar(Card, 0), Is.EqualTo("/sys/kernel/debug/valirq/0000:00:04.0/bar0"));
    }
}
