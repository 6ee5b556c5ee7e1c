using System.Diagnostics;
using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>The lab runs what it is given, passes its status back, and fails loudly when it should.</summary>
[RequiresVirtualLab, VirtualLabCategory]
public class LabRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    [Test]
    public void A_dotnet_program_built_by_the_solution_runs_inside_and_its_output_comes_back()
    {
        // The CLI itself, from artifacts/, read through the host root share.
        var run = Cli.Run(Limit, "vlab", "--topology", "shared-intx", "--timeout", "240", "--", Cli.Path, "devices");
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("ADDRESS"));
        Assert.That(run.Stdout.Split('\n').Count(l => l.Contains("1234:11e8", StringComparison.Ordinal)), Is.EqualTo(2), run.Stdout);
    }

    [Test]
    public void The_hosts_tmp_is_visible_in_the_lab_and_guest_writes_stay_in_the_guest()
    {
        // A checkout (CI's clone, say) may live under /tmp; the guest's /tmp is an overlay on it.
        var dir = Directory.CreateTempSubdirectory("validate-labtmp-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "from-host"), "host-content");
            var run = Cli.Run(Limit, "vlab", "--timeout", "180", "--", "/bin/sh", "-c",
                $"cat {dir.FullName}/from-host; echo guest > {dir.FullName}/from-guest && cat {dir.FullName}/from-guest");
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(run.Stdout, Does.Contain("host-content").And.Contain("guest"));
            Assert.That(File.Exists(Path.Combine(dir.FullName, "from-guest")), Is.False, "the guest wrote into the host's /tmp");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public void The_commands_exit_status_comes_back()
    {
        var run = Cli.Run(Limit, "vlab", "--timeout", "180", "--", "/bin/sh", "-c", "echo before; exit 7");
        Assert.That(run.ExitCode, Is.EqualTo(7), run.ToString());
        Assert.That(run.Stdout, Does.Contain("before"));
    }

    [Test]
    public void A_kernel_warning_in_the_guest_log_fails_a_successful_command()
    {
        const string line = "WARNING: CPU: 0 PID: 1 at validate/selftest.c:1 injected_by_lab_test";
        var run = Cli.Run(Limit, "vlab", "--timeout", "180", "--", "/bin/sh", "-c", $"echo '{line}' > /dev/kmsg; exit 0");
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.KernelLogProblem), run.ToString());
        Assert.That(run.Stderr, Does.Contain("kernel WARNING").And.Contain(line), "the message quotes the line");
    }

    [Test]
    public void A_command_past_its_timeout_is_killed_and_reported_with_what_the_guests_tasks_were_doing()
    {
        // A .NET command that never ends by itself: validate flood raises interrupts until SIGTERM.
        var runDir = Path.Combine(Cli.Layout.Out, "labtests", $"{TestContext.CurrentContext.Test.MethodName}-{DateTime.Now:HHmmss}");
        var run = Cli.Run(Limit, "vlab", "--topology", "single-msi", "--bind", "valirq", "--timeout", "66", "--run-dir", runDir, "--",
            Cli.Path, "flood", "--plan", Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json"), "--card", "0000:00:04.0", "--rate", "10");
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Timeout), run.ToString());
        Assert.That(run.Stderr, Does.Contain("timeout").And.Contain("QEMU killed").And.Contain("what the guest's tasks were doing 22 s before: guest-tasks.txt"));
        Assert.That(run.Elapsed, Is.LessThan(TimeSpan.FromSeconds(150)));
        Assert.That(QemuProcessesOf(run), Is.Empty);
        // Written in the guest before the kill: every task's kernel side, the .NET command's managed stacks, the kernel log.
        var tasks = File.ReadAllText(Path.Combine(runDir, Validate.Lab.VirtualLab.GuestTasksFile));
        TestContext.Out.WriteLine(tasks);
        Assert.That(tasks, Does.Match(@"task \d+ of process \d+ \(validate\): state [RSD], wchan \S+, syscall \S+"));
        Assert.That(tasks, Does.Contain("[<0>] "), "kernel stacks");
        Assert.That(tasks, Does.Match(@"# managed stacks of process \d+ \(validate\)"));
        Assert.That(tasks, Does.Contain("Validate.Cli.Commands.FloodCommand.Run"), "the command's own frames");
        Assert.That(File.ReadAllText(Path.Combine(runDir, "kernel.log")), Does.Contain("Linux version"), "the guest's kernel log, written before the kill");
    }

    [Test]
    public void A_boot_that_does_not_reach_the_guests_init_in_time_is_booted_again_then_fails_the_lab()
    {
        // 1 s is less than any boot takes to reach init (2-3 s of guest time): every boot here is one that stalled.
        var run = Cli.RunWith(Limit, new Dictionary<string, string> { [Validate.Lab.VirtualLab.BootDeadlineVariable] = "1" },
            "vlab", "--timeout", "180", "--", "/bin/sh", "-c", "echo command-ran");
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.LabFailure), run.ToString());
        Assert.That(run.Stdout, Does.Not.Contain("command-ran"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(run.Stderr, "QEMU killed, booting again"), Is.EqualTo(Validate.Lab.VirtualLab.BootAttempts - 1), run.ToString());
        Assert.That(run.Stderr, Does.Contain($"{Validate.Lab.VirtualLab.BootAttempts} boots in a row did not reach the guest's init within 1 s"));
        Assert.That(QemuProcessesOf(run), Is.Empty);
    }

    [Test]
    public void Sigterm_stops_the_lab_and_leaves_no_qemu_behind()
    {
        var run = Cli.Run(Limit, (p, stdout) =>
        {
            // Wait until the command is running in the guest, then SIGTERM the CLI.
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(150))
            {
                lock (stdout) if (stdout.ToString().Contains("guest-running", StringComparison.Ordinal)) break;
                Thread.Sleep(100);
            }
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        }, "vlab", "--timeout", "300", "--", "/bin/sh", "-c", "echo guest-running; sleep 600");

        Assert.That(run.Stdout, Does.Contain("guest-running"), run.ToString());
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Terminated), run.ToString());
        Assert.That(run.Elapsed, Is.LessThan(TimeSpan.FromSeconds(200)));
        Assert.That(QemuProcessesOf(run), Is.Empty);
    }

    private static List<string> QemuProcessesOf(CliRun run)
    {
        // The run directory is on QEMU's command line; no process may still have it.
        var dir = System.Text.RegularExpressions.Regex.Match(run.Stderr, @"logs in (\S+)\)").Groups[1].Value;
        var all = Process.GetProcessesByName("qemu-system-x86_64");
        return all.Select(p => File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' '))
            .Where(c => dir.Length == 0 || c.Contains(dir, StringComparison.Ordinal)).ToList();
    }
}
