using System.Globalization;
using NUnit.Framework;
using Validate.Platform;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.CommandLine;

/// <summary>
/// `validate run` never hangs on a suite: one past its hang limit gets what the runner's threads were doing
/// written down, the runner is stopped (SIGTERM, or SIGKILL when it does not stop), the suite is ERROR with
/// why and the rest are not run, in results.json and on the console. The timer plan on the host.
/// </summary>
public class CliHangTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private static string TimerPlan => Path.Combine(Cli.Layout.Root, "testplans", "generic", "timer.json");

    /// <summary>The first suite would run 10 minutes; the run takes it as hung after <paramref name="hangAfterS"/>.</summary>
    private static string[] HungFirstSuite(int hangAfterS) =>
        ["--set", "suites:0:durationS=600", "--set", "suites:1:durationS=1", "--hang-after", hangAfterS.ToString(CultureInfo.InvariantCulture)];

    [Test]
    public void A_suite_past_its_hang_limit_is_stopped_with_its_threads_written_down_and_the_rest_not_run()
    {
        var dir = Directory.CreateTempSubdirectory("validate-cli-hang-");
        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1ff);
        try
        {
            var run = Cli.Run(Limit, ["run", TimerPlan, "--out", dir.FullName, "--history", Path.Combine(dir.FullName, "history.sqlite"), .. HungFirstSuite(3)]);
            TestContext.Out.WriteLine(run);
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Failed), run.ToString());
            Assert.That(run.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "stopped at the limit, not after the suite's 10 minutes");
            var r = RunResults.Read(Path.Combine(dir.FullName, "results.json"));
            Assert.That(r.Suites.Select(s => (s.Name, s.Verdict)), Is.EqualTo(new[] { ("timer-idle", Verdict.Error), ("timer-cpu-load", Verdict.Skipped) }));
            // The runner stopped itself on SIGTERM: its partial numbers stay, and it says why it was stopped.
            var hung = r.Suites[0];
            Assert.That(hung.Message, Does.Contain("interrupted (timer-idle hung: no end").And.Contain("--hang-after").And.Contain("hang-timer-idle.txt"));
            Assert.That(hung.Stages.Single().Count, Is.GreaterThan(0), "what it measured before the stop");
            Assert.That(r.Suites[1].Message, Does.StartWith("not run: timer-idle hung"));
            Assert.That(run.Stdout, Does.Contain("validate: timer-idle hung: no end").And.Contain("[1/2] timer-idle: ERROR"));
            AssertHangFile(dir.FullName, runnerKilled: false);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void A_runner_that_does_not_stop_when_told_is_killed_and_the_run_completes_its_results()
    {
        var dir = Directory.CreateTempSubdirectory("validate-cli-hang-");
        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1ff);
        var runner = 0;
        try
        {
            // Stopped (SIGSTOP) once its first suite has started: it can neither measure nor hear SIGTERM.
            var run = Cli.Run(Limit, (cli, stdout) =>
            {
                var until = DateTime.UtcNow.AddSeconds(60);
                while (DateTime.UtcNow < until && !Contains(stdout, "[1/2] timer-idle:")) Thread.Sleep(50);
                runner = ChildOf(cli.Id, "Validate.Suites");
                Assert.That(runner, Is.Positive, "the suites runner under validate run");
                Assert.That(global::Validate.Interop.Signals.Send(runner, global::Validate.Interop.Signals.SIGSTOP), Is.Zero);
                // The runner is stopped well before the watchdog reads its threads (2 s after the start line).
            }, ["run", TimerPlan, "--out", dir.FullName, "--history", Path.Combine(dir.FullName, "history.sqlite"), .. HungFirstSuite(2)]);
            TestContext.Out.WriteLine(run);
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Failed), run.ToString());
            Assert.That(Directory.Exists($"/proc/{runner}"), Is.False, "the runner is gone");
            var r = RunResults.Read(Path.Combine(dir.FullName, "results.json"));
            Assert.That(r.Suites.Select(s => (s.Name, s.Verdict)), Is.EqualTo(new[] { ("timer-idle", Verdict.Error), ("timer-cpu-load", Verdict.Skipped) }));
            Assert.That(r.Suites[0].Message, Does.StartWith("hung: no end").And.Contain("hang-timer-idle.txt").And.Contain("did not stop on SIGTERM and was killed"));
            Assert.That(r.Suites[1].Message, Does.StartWith("not run: the run stopped after timer-idle hung"));
            Assert.That(r.Suites.Select(s => s.ConfigHash), Has.All.Length.EqualTo(16), "completed results still say what each suite would have measured with");
            Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail), "a run with an ERROR suite fails");
            Assert.That(run.Stdout, Does.Contain("killed (SIGKILL)").And.Contain("[1/2] timer-idle: ERROR"));
            Assert.That(run.Stdout + run.Stderr, Does.Not.Contain("the suites runner failed"), "the warnings said what happened to the runner; no log tail after them");
            AssertHangFile(dir.FullName, runnerKilled: true);
        }
        finally
        {
            if (runner > 0) _ = global::Validate.Interop.Signals.Send(runner, global::Validate.Interop.Signals.SIGKILL);
            dir.Delete(true);
        }
    }

    [Test]
    public void A_hang_limit_below_one_second_is_a_usage_error() =>
        Assert.That(Cli.Run(Limit, "run", TimerPlan, "--hang-after", "0").ExitCode, Is.EqualTo(ExitCodes.Usage));

    private static void AssertHangFile(string dir, bool runnerKilled)
    {
        var text = File.ReadAllText(Path.Combine(dir, "hang-timer-idle.txt"));
        TestContext.Out.WriteLine(text);
        Assert.That(text, Does.StartWith("validate run ").And.Contain("suite timer-idle hung: no end"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "stop-reason.txt")), Does.StartWith("timer-idle hung: no end"));
        Assert.That(text, Does.Contain("== managed stacks of the runner"));
        if (PtraceOnlyByAdmin && !Environment.IsPrivilegedProcess)
            Assert.That(text, Does.Contain("  not read: "), "kernel.yama.ptrace_scope 2 or more: only an administrator may attach; the report says so");
        else
            Assert.That(text, Does.Contain("(managed id 1):"));
        if (runnerKilled)
        {
            // Stopped as its suite began: every thread of the runner says so, as /proc shows it.
            Assert.That(text, Does.Match(@"thread \d+ ""Validate.Suites"": state T \(stopped\)"));
            return;
        }
        // The kernel's side of the measuring thread, by name, with its system call; and the engine's managed frames.
        Assert.That(text, Does.Match(@"thread \d+ ""measure-timer-i"": state [RS].*in system call \d+"));
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
            Assert.That(text, Does.Contain("in system call 230 (clock_nanosleep)"), "one of the two measuring threads asleep until its next period");
        if (!PtraceOnlyByAdmin || Environment.IsPrivilegedProcess)
            Assert.That(text, Does.Contain("Validate.Engine.LatencySuiteRunner.MeasureLoop"), "the engine's managed frames");
    }

    /// <summary>Yama at 2 or 3: ptrace needs CAP_SYS_PTRACE whoever the tracer is.</summary>
    private static bool PtraceOnlyByAdmin =>
        File.Exists("/proc/sys/kernel/yama/ptrace_scope") && int.TryParse(File.ReadAllText("/proc/sys/kernel/yama/ptrace_scope").Trim(), out var scope) && scope >= 2;

    private static bool Contains(System.Text.StringBuilder sb, string what)
    {
        lock (sb) return sb.ToString().Contains(what, StringComparison.Ordinal);
    }

    /// <summary>A child process of <paramref name="parent"/> by its command name, or 0.</summary>
    private static int ChildOf(int parent, string comm)
    {
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var pid)) continue;
            if (ThreadActivity.ParentPid($"{d}/stat") != parent) continue;
            try
            {
                if (File.ReadAllText($"{d}/comm").Trim() == comm) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return 0;
    }
}
