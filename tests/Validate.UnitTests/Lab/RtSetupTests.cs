using NUnit.Framework;
using Validate.Platform;
using Validate.TestSupport;

namespace Validate.UnitTests.Lab;

/// <summary>
/// rt-setup/lab/setup.sh made to work in a folder (SYSROOT) instead of the machine: every step writes what
/// the README says, shows a diff first, is idempotent and rolls back to what was there; the systemd units
/// pass systemd-analyze verify; and doctor's lab checks find each missing piece with its fix.
/// </summary>
public class RtSetupTests
{
    private string _root = "";
    private static string Script => Path.Combine(Cli.Layout.Root, "rt-setup", "lab", "setup.sh");

    [SetUp]
    public void MakeRoot() => _root = Directory.CreateTempSubdirectory("validate-sysroot-").FullName;

    [TearDown]
    public void RemoveRoot() => Directory.Delete(_root, recursive: true);

    private (int Status, string Out) Setup(params string[] args)
    {
        var r = ProcessRunner.Capture("bash", [Script, .. args], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["SYSROOT"] = _root });
        return (r.Status, r.Stdout + r.Stderr);
    }

    private string F(string path) => Path.Combine(_root, path.TrimStart('/'));

    /// <summary>config apply, with VALIDATE_ROOT pointed at this checkout, then every other step.</summary>
    private void ApplyAll()
    {
        Assert.That(Setup("config", "apply").Status, Is.Zero);
        var conf = F(LabMachine.ConfigPath);
        File.WriteAllText(conf, File.ReadAllText(conf).Replace("VALIDATE_ROOT=/opt/validate", $"VALIDATE_ROOT={Cli.Layout.Root}", StringComparison.Ordinal)
            .Replace("RT_CPUS=1", "RT_CPUS=2-3", StringComparison.Ordinal));
        var (status, output) = Setup("all", "apply");
        Assert.That(status, Is.Zero, output);
    }

    [Test]
    public void Every_step_writes_its_files_after_showing_the_diff()
    {
        ApplyAll();
        Assert.That(File.ReadAllText(F("/etc/default/grub.d/validate-rt.cfg")),
            Does.Contain("GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT isolcpus=managed_irq,domain,2-3 nohz_full=2-3 rcu_nocbs=2-3 irqaffinity=0\""));
        Assert.That(File.ReadAllText(F("/etc/udev/rules.d/70-valirq.rules")), Does.Contain("KERNEL==\"valirq-*\", GROUP=\"validate\", MODE=\"0660\""));
        Assert.That(File.ReadAllText(F("/etc/security/limits.d/90-validate.conf")), Does.Contain("@validate - rtprio 95").And.Contain("@validate - memlock unlimited"));
        Assert.That(File.ReadAllText(F("/etc/modules-load.d/valirq.conf")), Does.Contain("valirq"));
        Assert.That(File.Exists(F("/usr/src/valirq-1.0/dkms.conf")), Is.True, "the DKMS source tree");
        // Every object Kbuild links into valirq.ko needs its source in the DKMS tree.
        var kbuild = File.ReadAllText(Path.Combine(Cli.Layout.Root, "kmod", "Kbuild"));
        var objects = System.Text.RegularExpressions.Regex.Match(kbuild, @"valirq-y\s*:=\s*(.+)").Groups[1].Value
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(objects, Is.Not.Empty, "Kbuild lists valirq's objects");
        foreach (var o in objects)
            Assert.That(File.Exists(F($"/usr/src/valirq-1.0/{Path.ChangeExtension(o, ".c")}")), Is.True, $"the DKMS source tree has {o}'s source");
        Assert.That(File.Exists(F("/usr/src/valirq-1.0/valirq_dev.h")), Is.True, "the DKMS source tree has the module's header");
        var service = File.ReadAllText(F("/etc/systemd/system/validate-nightly.service"));
        Assert.That(service, Does.Contain("Type=oneshot").And.Contain("LimitRTPRIO=95").And.Contain("LimitMEMLOCK=infinity")
            .And.Contain($"{Cli.Layout.Root}/validate run ${{VALIDATE_PLAN}}").And.Contain("flock --nonblock"));
        Assert.That(File.ReadAllText(F("/etc/systemd/system/validate-nightly.timer")), Does.Contain("OnCalendar=*-*-* 02:00:00").And.Contain("Persistent=true"));
        var show = Setup("nightly", "show");
        Assert.That(show.Out, Does.Contain("up to date"), "show after apply: nothing to change");
    }

    [Test]
    public void A_second_apply_changes_nothing_and_rollback_restores_what_was_there()
    {
        Directory.CreateDirectory(F("/etc/security/limits.d"));
        File.WriteAllText(F("/etc/security/limits.d/90-validate.conf"), "# the lab's own limits\n");
        ApplyAll();
        var again = Setup("all", "apply");
        Assert.That(again.Out, Does.Not.Contain(": written"), again.Out);
        Assert.That(again.Out.Split('\n').Count(l => l.EndsWith(": up to date", StringComparison.Ordinal)), Is.EqualTo(7), again.Out);
        var back = Setup("all", "rollback");
        Assert.That(back.Status, Is.Zero, back.Out);
        Assert.That(File.ReadAllText(F("/etc/security/limits.d/90-validate.conf")), Is.EqualTo("# the lab's own limits\n"), "the file that was there before is back");
        var left = Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f)).ToList();
        Assert.That(left, Is.EqualTo(new[] { Path.Combine("etc", "security", "limits.d", "90-validate.conf") }), "nothing else of ours is left");
    }

    [Test]
    public void Showing_a_step_changes_nothing()
    {
        Setup("config", "apply");
        var before = Directory.GetFiles(_root, "*", SearchOption.AllDirectories).Length;
        var show = Setup("cmdline", "show");
        Assert.That(show.Status, Is.Zero, show.Out);
        Assert.That(show.Out, Does.Contain("+GRUB_CMDLINE_LINUX_DEFAULT=").And.Contain("--- /etc/default/grub.d/validate-rt.cfg (now)"));
        Assert.That(Directory.GetFiles(_root, "*", SearchOption.AllDirectories), Has.Length.EqualTo(before));
    }

    [TestCase("RT_CPUS=1", "RT_CPUS=one", "RT_CPUS=one is not a CPU list")]
    [TestCase("VALIRQ_CARDS=1234:11e8", "VALIRQ_CARDS=edu", "VALIRQ_CARDS: 'edu' is not vendor:device")]
    public void A_bad_config_value_is_one_line_naming_the_file_and_key(string from, string to, string expected)
    {
        Setup("config", "apply");
        var conf = F(LabMachine.ConfigPath);
        File.WriteAllText(conf, File.ReadAllText(conf).Replace(from, to, StringComparison.Ordinal));
        var r = Setup("cmdline", "apply");
        Assert.That(r.Status, Is.EqualTo(3));
        Assert.That(r.Out.Trim().Split('\n')[^1], Is.EqualTo($"rt-setup: {conf}: {expected}" + (expected.StartsWith("RT_CPUS", StringComparison.Ordinal) ? " (e.g. 1-3 or 1,3)" : " (e.g. 1234:11e8)")));
    }

    [Test]
    public void The_systemd_units_pass_systemd_analyze_verify()
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
        {
            const string why = "systemd-analyze is not installed (package systemd)";
            if (Environment.GetEnvironmentVariable("VALIDATE_STRICT") == "1") Assert.Fail(why);
            Assert.Ignore(why);
        }
        ApplyAll();
        var units = F("/etc/systemd/system");
        var r = ProcessRunner.Capture("systemd-analyze", ["verify", "validate-nightly.service", "validate-nightly.timer", "validate-bind.service"],
            TimeSpan.FromMinutes(1), workingDirectory: units, environment: new Dictionary<string, string> { ["SYSTEMD_UNIT_PATH"] = units + ":" });
        Assert.That((r.Status, (r.Stdout + r.Stderr).Trim()), Is.EqualTo((0, "")), "systemd-analyze verify prints nothing for units without mistakes");
    }

    /// <summary>A fake machine: what setup.sh writes, plus /proc and sysfs as the running system would have them.</summary>
    private void FakeMachine(string cmdline, string driver)
    {
        ApplyAll();
        Directory.CreateDirectory(F("/proc/sys/kernel"));
        File.WriteAllText(F("/proc/cmdline"), cmdline + "\n");
        File.WriteAllText(F("/proc/sys/kernel/osrelease"), "6.1.0-56-rt-amd64\n");
        File.WriteAllText(F("/etc/group"), "root:x:0:\nvalidate:x:999:\n");
        var dev = F("/sys/bus/pci/devices/0000:00:04.0");
        Directory.CreateDirectory(dev);
        File.WriteAllText(Path.Combine(dev, "vendor"), "0x1234\n");
        File.WriteAllText(Path.Combine(dev, "device"), "0x11e8\n");
        Directory.CreateDirectory(F($"/sys/bus/pci/drivers/{driver}"));
        File.CreateSymbolicLink(Path.Combine(dev, "driver"), F($"/sys/bus/pci/drivers/{driver}"));
    }

    private static (int, string) Commands(string file, IReadOnlyList<string> args) => file switch
    {
        "dkms" => (0, "valirq/1.0, 6.1.0-56-rt-amd64, x86_64: installed\n"),
        "systemctl" => (0, "enabled\nenabled\n"),
        _ => (127, "not found"),
    };

    [Test]
    public void Doctor_passes_a_machine_set_up_by_the_script()
    {
        FakeMachine("BOOT_IMAGE=/vmlinuz quiet isolcpus=managed_irq,domain,2-3 nohz_full=2-3 rcu_nocbs=2-3 irqaffinity=0", "valirq");
        var checks = LabMachine.Checks(_root, Commands);
        Assert.That(checks.Where(c => c.Level != CheckLevel.Ok).Select(c => c.What), Is.Empty);
        Assert.That(checks, Has.Count.GreaterThanOrEqualTo(8));
    }

    [Test]
    public void Doctor_names_each_missing_piece_with_its_fix()
    {
        FakeMachine("BOOT_IMAGE=/vmlinuz quiet", "edu_vendor_driver");
        File.Delete(F("/etc/security/limits.d/90-validate.conf"));
        var checks = LabMachine.Checks(_root, (f, a) => f == "dkms" ? (0, "") : Commands(f, a));
        string Fix(string what) => checks.Single(c => c.What.Contains(what, StringComparison.Ordinal)).Fix!;
        Assert.That(Fix("kernel command line lacks"), Does.Contain("reboot: the GRUB drop-in is in place"));
        Assert.That(Fix("not installed by DKMS"), Is.EqualTo("rt-setup/lab/setup.sh dkms apply"));
        Assert.That(Fix("no limits.d/90-validate.conf"), Is.EqualTo("rt-setup/lab/setup.sh access apply"));
        Assert.That(Fix("is bound to edu_vendor_driver, not valirq"), Does.StartWith("rt-setup/lab/setup.sh bind apply"));
        File.Delete(F(LabMachine.ConfigPath));
        Assert.That(LabMachine.Checks(_root, Commands).Single().Fix, Does.StartWith("rt-setup/lab/setup.sh config apply"));
    }
}
