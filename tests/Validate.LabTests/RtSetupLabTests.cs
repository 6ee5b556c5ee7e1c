using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>
/// rt-setup/lab as far as the virtual lab goes (rt-setup/lab/README.md): valirq built by DKMS from the
/// source tree `setup.sh dkms` installs, against the lab's PREEMPT_RT kernel headers, then loaded in the
/// lab, where bind-cards.sh (validate-bind.service's script) binds the card and the module answers its
/// selftest. DKMS runs with private trees, so the host's /var/lib/dkms and /lib/modules are not touched.
/// </summary>
[RequiresVirtualLab, VirtualLabCategory]
public class RtSetupLabTests
{
    private static (int Status, string Out) Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var r = ProcessRunner.Capture(file, args, TimeSpan.FromMinutes(5), environment: env);
        return (r.Status, r.Stdout + r.Stderr);
    }

    [Test]
    public void Valirq_built_by_dkms_loads_in_the_lab_and_bind_cards_binds_the_card()
    {
        if (!File.Exists("/usr/sbin/dkms"))
        {
            const string why = "dkms is not installed (validate selftest installs it)";
            if (Environment.GetEnvironmentVariable("VALIDATE_STRICT") == "1") Assert.Fail(why);
            Assert.Ignore(why);
        }
        var kernel = Directory.GetDirectories("/lib/modules").Select(d => Path.GetFileName(d)!).Where(k => k.EndsWith("-rt-amd64", StringComparison.Ordinal) && Directory.Exists($"/lib/modules/{k}/build"))
            .Order(Validate.Lab.KernelReleaseComparer.Instance).LastOrDefault() ?? throw new AssertionException("no linux-headers-rt-amd64 installed");
        var work = Path.Combine(Cli.Layout.Out, "labtests", $"dkms-{DateTime.Now:HHmmss}");
        Directory.CreateDirectory(Path.Combine(work, "dkms"));
        var setup = Run("bash", [Path.Combine(Cli.Layout.Root, "rt-setup", "lab", "setup.sh"), "dkms", "apply"], new Dictionary<string, string> { ["SYSROOT"] = work });
        Assert.That(setup.Status, Is.Zero, setup.Out);
        string[] trees = ["--sourcetree", Path.Combine(work, "usr", "src"), "--dkmstree", Path.Combine(work, "dkms")];
        var add = Run("dkms", ["add", "-m", "valirq", "-v", "1.0", .. trees]);
        Assert.That(add.Status, Is.Zero, add.Out);
        var build = Run("dkms", ["build", "-m", "valirq", "-v", "1.0", "-k", kernel!, .. trees]);
        Assert.That(build.Status, Is.Zero, build.Out);
        var ko = Path.Combine(work, "dkms", "valirq", "1.0", kernel!, "x86_64", "module", "valirq.ko");
        Assert.That(File.Exists(ko), Is.True, build.Out);
        Assert.That(Run("modinfo", ["-F", "vermagic", ko]).Out, Does.StartWith(kernel + " "), "built for the lab's kernel");

        var make = Run("make", ["-C", Cli.Layout.Kmod, "-s", "selftests"]);
        Assert.That(make.Status, Is.Zero, make.Out);
        var selftest = Path.Combine(Cli.Layout.Kmod, "selftests", "valirq_test");
        var bind = Path.Combine(Cli.Layout.Root, "rt-setup", "lab", "bind-cards.sh");
        var run = Cli.Run(TimeSpan.FromMinutes(5), "vlab", "--topology", "single-msi", "--run-dir", Path.Combine(work, "lab"), "--", "/bin/sh", "-c",
            $"rmmod valirq && insmod {ko} && VALIRQ_CARDS=1234:11e8 {bind} && test -c /dev/valirq-0000:00:04.0 && {selftest} single-msi 1 version");
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("bind-cards: 0000:00:04.0 (1234:11e8) bound to valirq").And.Contain("ok 1 - version and info ioctls"));
    }

    /// <summary>
    /// The nightly unit's command as systemd runs it (the EnvironmentFile's variables, the working
    /// directory, ExecStart with its flock) in the lab, whose init is not systemd: it runs the configured plan
    /// and leaves a results file where VALIDATE_OUT says. Here the plan is the timer plan, shortened through
    /// the plan's environment layer.
    /// </summary>
    [Test]
    public void The_nightly_units_command_runs_the_configured_plan()
    {
        var work = Path.Combine(Cli.Layout.Out, "labtests", $"nightly-{DateTime.Now:HHmmss}");
        var lab = Path.Combine(work, "lab");
        Directory.CreateDirectory(lab);
        var env = new Dictionary<string, string> { ["SYSROOT"] = work };
        var script = Path.Combine(Cli.Layout.Root, "rt-setup", "lab", "setup.sh");
        Assert.That(Run("bash", [script, "config", "apply"], env).Status, Is.Zero);
        var conf = Path.Combine(work, "etc", "validate", "validate.conf");
        File.WriteAllText(conf, File.ReadAllText(conf)
            .Replace("VALIDATE_ROOT=/opt/validate", $"VALIDATE_ROOT={Cli.Layout.Root}", StringComparison.Ordinal)
            .Replace("VALIDATE_PLAN=testplans/qemu/edu.json", "VALIDATE_PLAN=testplans/generic/timer.json", StringComparison.Ordinal)
            .Replace("VALIDATE_OUT=/var/lib/validate", $"VALIDATE_OUT={lab}/out", StringComparison.Ordinal)
            .Replace("VALIDATE_MACHINE=", "VALIDATE_MACHINE=lab-machine-7", StringComparison.Ordinal)
            + "VALIDATE_PLAN__suites__0__durationS=1\nVALIDATE_PLAN__suites__1__durationS=1\n");
        var nightly = Run("bash", [script, "nightly", "apply"], env);
        Assert.That(nightly.Status, Is.Zero, nightly.Out);
        var unit = File.ReadAllLines(Path.Combine(work, "etc", "systemd", "system", "validate-nightly.service"));
        var execStart = unit.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];
        var workDir = unit.Single(l => l.StartsWith("WorkingDirectory=", StringComparison.Ordinal))["WorkingDirectory=".Length..];
        var run = Cli.Run(TimeSpan.FromMinutes(5), "vlab", "--topology", "single-msi", "--run-dir", lab, "--", "/bin/sh", "-c",
            $"set -a; . {conf}; set +a; cd {workDir} && {execStart}; echo \"nightly exit $?\"");
        TestContext.Out.WriteLine(run);
        Assert.That(run.Stdout, Does.Match(@"nightly exit [01]\b"), "the plan ran (0 pass, 1 a suite failed: timer limits are for hardware)");
        var results = Directory.GetFiles(Path.Combine(lab, "out"), "results.json", SearchOption.AllDirectories);
        Assert.That(results, Has.Length.EqualTo(1), run.ToString());
        var r = Validate.Results.RunResults.Read(results[0]);
        Assert.That((r.Plan.Name, r.Environment.Hostname, r.Suites.Count), Is.EqualTo(("timer latency (any machine)", "lab-machine-7", 2)));
    }
}
