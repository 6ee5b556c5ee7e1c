using System.Text.Json;
using NUnit.Framework;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.CommandLine;

/// <summary>`validate run` on the host: plans checked before anything runs, the timer plan measured for real.</summary>
public class CliRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private static string Plan(string p) => Path.Combine(Cli.Layout.Root, "testplans", p);

    [Test]
    public void A_bad_plan_is_one_line_naming_file_and_key_with_status_3()
    {
        var dir = Directory.CreateTempSubdirectory("validate-cli-plan-");
        try
        {
            var plan = Path.Combine(dir.FullName, "bad.json");
            File.WriteAllText(plan, File.ReadAllText(Plan("generic/timer.json")).Replace("\"name\": \"timer-idle\",", "\"name\": \"timer-idle\", \"rate\": 5,", StringComparison.Ordinal));
            var run = Cli.Run(Limit, "run", plan);
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InputError), run.ToString());
            var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(1), run.ToString());
            Assert.That(lines[0], Does.StartWith($"validate: {plan}: suites:0:rate: unknown key"));
            Assert.That(run.Stderr, Does.Not.Contain("   at "));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void A_bad_release_policy_is_one_line_naming_file_key_value_and_fix_with_status_3()
    {
        var dir = Directory.CreateTempSubdirectory("validate-cli-plan-");
        try
        {
            var plan = Path.Combine(dir.FullName, "bad-release.json");
            File.WriteAllText(plan, File.ReadAllText(Plan("qemu/edu.json")).Replace("\"stimulus\":", "\"release\": \"reboot\", \"stimulus\":", StringComparison.Ordinal));
            File.Copy(Plan("defaults.json"), Path.Combine(dir.FullName, "defaults.json"));
            var run = Cli.Run(Limit, "run", plan, "--check");
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InputError), run.ToString());
            var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(1), run.ToString());
            Assert.That(lines[0], Does.StartWith($"validate: {plan}: release: 'reboot' is not a release policy; use quiesce"));
            Assert.That(run.Stderr, Does.Not.Contain("   at "));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void A_plan_that_does_not_exist_is_status_3() =>
        Assert.That(Cli.Run(Limit, "run", "testplans/nope.json").ExitCode, Is.EqualTo(ExitCodes.InputError));

    [TestCase("qemu/edu.json", "valirq-intx-pci23-idle")]
    [TestCase("generic/timer.json", "timer-cpu-load")]
    public void Check_lists_the_suites_of_a_valid_plan(string plan, string suite)
    {
        var run = Cli.Run(Limit, "run", Plan(plan), "--check");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("valid").And.Contain(suite));
    }

    [Test]
    public void Check_lists_the_load_a_fault_suite_takes_from_suiteDefaults()
    {
        Assert.That(Cli.Run(Limit, "run", Plan("qemu/edu.json"), "--check").Stdout, Does.Not.Contain(", load "), "the demo's fault suites run idle");
        var run = Cli.Run(Limit, "run", Plan("qemu/edu.json"), "--check", "--set", "suiteDefaults:load=cpu");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("fault-kill-idle-msi").And.Match(@"fault-kill-idle-msi +fault +msi +kill-idle x10, driver card-aot, load cpu, stimulus"));
    }

    [Test]
    public void The_timer_plan_runs_on_the_host_and_writes_results_with_a_zero_allocation_loop()
    {
        var dir = Directory.CreateTempSubdirectory("validate-cli-timer-");
        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1ff);
        try
        {
            var run = Cli.Run(Limit, "run", Plan("generic/timer.json"), "--out", dir.FullName, "--history", Path.Combine(dir.FullName, "history.sqlite"),
                "--set", "suites:0:durationS=1", "--set", "suites:1:durationS=1");
            TestContext.Out.WriteLine(run);
            // The verdict depends on this machine's latency; that the run completed and judged does not.
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Ok).Or.EqualTo(ExitCodes.Failed), run.ToString());
            var results = RunResults.Read(Path.Combine(dir.FullName, "results.json"));
            Assert.That(results.Suites.Select(s => s.Name), Is.EquivalentTo(new[] { "timer-idle", "timer-cpu-load" }));
            foreach (var s in results.Suites)
            {
                Assert.That(s.Verdict, Is.AnyOf(Verdict.Pass, Verdict.Marginal, Verdict.Fail), s.Message);
                Assert.That(s.Stages.Single().Count, Is.GreaterThan(500), "about 1000 wake-ups per CPU for 1 s");
                Assert.That(s.Measurement!.AllocatedBytes, Is.Zero);
                Assert.That(s.Realtime!.Threads.Select(t => t.Cpus.Single()), Is.EquivalentTo(new[] { 0, 1 }), "one measuring thread pinned per CPU");
                Assert.That(File.Exists(Path.Combine(dir.FullName, s.RawFiles[0])), Is.True);
            }
            Assert.That(results.Suites.Single(s => s.Name == "timer-cpu-load").Load!.Commands.Single().Command, Does.StartWith("stress-ng --cpu"));
            Assert.That(File.Exists(Path.Combine(dir.FullName, "report.html")) && File.Exists(Path.Combine(dir.FullName, "junit.xml")), Is.True, "report and JUnit XML beside the results");
            Assert.That(run.Stdout, Does.Contain($"history: {Path.Combine(dir.FullName, "history.sqlite")}"));
            if (!Environment.IsPrivilegedProcess)
            {
                // The plan says onFailure=flag: it ran, flagged, with the limit and the fix named.
                var problems = results.Suites[0].Realtime!.Problems;
                Assert.That(problems, Has.Some.Contains("sched_setscheduler(SCHED_FIFO, 80)").And.Some.Contains("rtprio"));
                Assert.That(run.Stdout + run.Stderr, Does.Contain("NOT REAL-TIME"));
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void Doctor_names_a_fix_for_every_failed_check()
    {
        var run = Cli.Run(Limit, "doctor");
        TestContext.Out.WriteLine(run);
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Ok).Or.EqualTo(ExitCodes.SetupError), run.ToString());
        var lines = run.Stdout.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("FAIL", StringComparison.Ordinal) || lines[i].StartsWith("WARN", StringComparison.Ordinal))
                Assert.That(lines[i + 1].TrimStart(), Does.StartWith("fix: "), lines[i]);
        }
        Assert.That(run.Stdout, Does.Match(@"doctor: \d+ ok, \d+ warning\(s\), \d+ failure\(s\)"));
        if (!File.ReadAllText("/proc/sys/kernel/version").Contains("PREEMPT_RT", StringComparison.Ordinal))
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.SetupError), "a kernel that is not PREEMPT_RT is a failure");
            Assert.That(run.Stdout, Does.Contain("linux-image-rt-amd64"));
        }
    }
}
