using System.Text.Json;
using NUnit.Framework;
using Validate.Plans;
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
                // What it measured with, resolved, and the hash the history compares like with like by.
                Assert.That(s.Parameters, Is.Not.Null);
                Assert.That(s.Parameters!.Backend, Is.EqualTo("timer"));
                Assert.That(s.Parameters.Cpus, Is.EqualTo(new[] { 0, 1 }));
                Assert.That(s.Parameters.DurationS, Is.EqualTo(1));
                Assert.That(s.ConfigHash, Has.Length.EqualTo(16));
                // The harness's own activity in the window is measured; with no tiering the JIT has nothing to do in it.
                Assert.That(s.Measurement.Harness, Is.Not.Null);
                Assert.That(s.Measurement.Harness!.JitMethods, Is.Zero, "the loop's code is compiled before the window");
                Assert.That(s.Measurement.Harness.Busiest, Has.None.Property("Name").StartsWith(".NET Tiered"));
            }
            Assert.That(results.Plan.Overrides, Is.EqualTo(new[] { "suites:0:durationS=1", "suites:1:durationS=1" }));
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
    public void A_failing_run_shows_its_suites_in_plan_order_with_progress_and_none_of_the_test_platforms_output()
    {
        if (Environment.ProcessorCount < 2) Assert.Ignore("needs 2 CPUs: one measures, the progress is read on the other");
        var dir = Directory.CreateTempSubdirectory("validate-cli-console-");
        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1ff);
        try
        {
            // Two suites named against the alphabet, limits no machine meets: a failing run, in plan order.
            var plan = Path.Combine(dir.FullName, "order.json");
            var suite = """{ "name": "NAME", "backend": "timer", "cpus": [ 1 ], "rateHz": 1000, "durationS": 3, "limits": { "stages": { "total": { "p99": "1ns" } } } }""";
            File.WriteAllText(plan, $$"""
                { "schema": 1, "name": "console order", "card": { "name": "none", "vendor": "0x0000", "device": "0x0000" },
                  "realtime": { "onFailure": "flag" },
                  "suites": [ {{suite.Replace("NAME", "z-first", StringComparison.Ordinal)}}, {{suite.Replace("NAME", "a-second", StringComparison.Ordinal)}} ] }
                """);
            var run = Cli.Run(Limit, "run", plan, "--out", Path.Combine(dir.FullName, "run"), "--history", Path.Combine(dir.FullName, "history.sqlite"), "--progress-every", "1");
            TestContext.Out.WriteLine(run);
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Failed), run.ToString());
            var console = run.Stdout + run.Stderr;
            foreach (var platform in new[] { "NUnit", "   at ", "Standard output", "Test run summary", "failed Run", "SuiteVerdict", "InvokeStub" })
                Assert.That(console, Does.Not.Contain(platform), "the test platform's output is in runner.log, not on the console");
            Assert.That(console.IndexOf("[1/2] z-first: timer periodic", StringComparison.Ordinal), Is.GreaterThanOrEqualTo(0).And.LessThan(console.IndexOf("[2/2] a-second: timer periodic", StringComparison.Ordinal)),
                "suites start in the plan's order, not the alphabet's");
            Assert.That(console, Does.Match(@"\[1/2\] z-first: timer periodic, load idle; planned ~\d+ s"));
            Assert.That(console, Does.Match(@"(?m)^ +z-first: \d+ samples, \d+/s, p99 .*, max .*, lost 0; run ETA ~"), "progress while the suite runs");
            Assert.That(console, Does.Match(@"\[1/2\] z-first: FAIL in \d+ s: total p50 .* over \d+"));
            Assert.That(console, Does.Contain("total p99").And.Contain("> limit 1 ns"), "the failing suite's reason, in words");
            var log = File.ReadAllText(Path.Combine(dir.FullName, "run", "runner.log"));
            Assert.That(log, Does.Contain("Test run summary").And.Contain("SuiteVerdict"), "the platform's output is kept");
            Assert.That(log, Does.Contain("validate: console: 0 method(s) compiled while showing progress"),
                "the console's progress path was compiled as each suite started, not in its window");
            // The progress the console showed was read inside the windows, on CPU 0: its path was compiled before them.
            foreach (var s in RunResults.Read(Path.Combine(dir.FullName, "run", "results.json")).Suites)
                Assert.That(s.Measurement!.Harness!.JitMethods, Is.Zero, $"{s.Name}: nothing compiled in the window, the progress path included");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void Check_with_a_filter_lists_the_selected_suites_in_order_with_their_planned_time()
    {
        var run = Cli.Run(Limit, "run", Plan("qemu/edu.json"), "--check", "--filter", "cat=fault");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Match(@"selected by --filter; .*planned ~\d"));
        Assert.That(run.Stdout, Does.Contain("fault-kill-idle-msi").And.Not.Contain("valirq-msi-idle "));
        var none = Cli.Run(Limit, "run", Plan("qemu/edu.json"), "--check", "--filter", "Name~no-such-suite");
        Assert.That((none.ExitCode, none.Stderr.Trim()), Is.EqualTo((ExitCodes.Usage, $"validate: --filter \"Name~no-such-suite\" selects none of the {PlanLoader.Load(Plan("qemu/edu.json"), []).Suites.Count} suites of {Plan("qemu/edu.json")}; `validate run {Plan("qemu/edu.json")} --check` lists them")));
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
