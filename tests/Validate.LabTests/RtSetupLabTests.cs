using System.Diagnostics;
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
    private static (int Status, string Out) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, o.Result + e.Result);
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

        var selftest = Path.Combine(Cli.Layout.Kmod, "selftests", "valirq_test");
        var bind = Path.Combine(Cli.Layout.Root, "rt-setup", "lab", "bind-cards.sh");
        var run = Cli.Run(TimeSpan.FromMinutes(5), "vlab", "--topology", "single-msi", "--run-dir", Path.Combine(work, "lab"), "--", "/bin/sh", "-c",
            $"rmmod valirq && insmod {ko} && VALIRQ_CARDS=1234:11e8 {bind} && test -c /dev/valirq-0000:00:04.0 && {selftest} single-msi 1 version");
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("bind-cards: 0000:00:04.0 (1234:11e8) bound to valirq").And.Contain("ok 1 - version and info ioctls"));
    }
}
