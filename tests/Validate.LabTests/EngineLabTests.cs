using NUnit.Framework;
using Validate.Fixtures.Requirements;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.LabTests;

/// <summary>
/// The engine on the lab's cards: `validate run` inside the virtual lab, read back from the results file
/// on the host. Absolute numbers are emulated; what is asserted is function: every mode measured with
/// its stages in order, no interrupt lost or duplicated, loops that allocate nothing, a killed run that
/// cleans up and keeps its results.
/// </summary>
[RequiresVirtualLab, VirtualLabCategory]
public class EngineLabTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);
    private static readonly string EduPlan = Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json");

    private static (CliRun Run, string Out) RunInLab(string topology, string script, int timeoutS = 420)
    {
        var runDir = Path.Combine(Cli.Layout.Out, "labtests", $"{TestContext.CurrentContext.Test.MethodName}-{DateTime.Now:HHmmss}");
        Directory.CreateDirectory(runDir);
        var run = Cli.Run(Limit, "vlab", "--topology", topology, "--bind", "valirq", "--timeout", timeoutS.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--run-dir", runDir, "--", "/bin/sh", "-c", script.Replace("$OUT", Path.Combine(runDir, "run"), StringComparison.Ordinal));
        TestContext.Out.WriteLine(run);
        return (run, Path.Combine(runDir, "run"));
    }

    [Test]
    public void The_edu_plan_measures_every_mode_with_ordered_stages_and_no_lost_interrupt()
    {
        var (run, outDir) = RunInLab("shared-intx",
            $"{Cli.Path} doctor {EduPlan} && {Cli.Path} run {EduPlan} --out $OUT --filter cat=latency --set suiteDefaults:count=200 --set suites:7:count=1000 " +
            // A suite hung in the lab is diagnosed (hang-SUITE.txt) and stopped before the lab's own timeout kills QEMU.
            "--hang-after 120 " +
            // A threshold every sample crosses: the worst events are analysed whatever the emulation's speed today.
            "--set suites:0:trace:thresholds:total=1us " +
            // Trace on threshold: the loop stops the ring 100 ms after the first sample that crossed (its first).
            "--set suites:1:trace:thresholds:total=1us --set suites:1:trace:freeze=true --set suites:1:trace:freezeAfter=100ms " +
            // Plan key irqPriority: the card's IRQ threads above the measuring thread for the window (untraced suites: with
            // the IRQ thread first, the reader mostly finds the event before it sleeps, and the trace has no wake-up to split).
            "--set suites:3:irqPriority=90 --set suites:5:irqPriority=90");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Match(@"doctor: \d+ ok, \d+ warning\(s\), 0 failure\(s\)"), "the lab passes doctor for the edu plan");
        Assert.That(run.Stdout, Does.Contain("OK    kernel").And.Contain("PREEMPT_RT").And.Contain("OK    card 0000:00:04.0"));
        var r = RunResults.Read(Path.Combine(outDir, "results.json"));
        Assert.That(r.Environment.PreemptRt && r.Environment.VirtualLab, Is.True);
        Assert.That(r.Environment.Warnings, Has.Some.Contains("virtual lab (emulated)"));
        Assert.That(r.Realtime.IsRealtime, Is.True, string.Join("; ", r.Realtime.Problems));
        Assert.That(r.Suites, Has.Count.EqualTo(8));
        foreach (var s in r.Suites)
        {
            Assert.That(s.Verdict, Is.EqualTo(Verdict.Pass), $"{s.Name}: {s.Message}");
            Assert.That(s.Realtime!.Threads.Single().Policy, Is.EqualTo("SCHED_FIFO"));
            Assert.That(s.Measurement!.AllocatedBytes, Is.Zero, s.Name);
            if (s.Backend == "timer") continue;
            Assert.That((s.Counts!.Lost, s.Counts.Extra, s.Counts.Errors), Is.EqualTo((0L, 0L, 0L)), s.Name);
            Assert.That(s.Counts.Interrupts, Is.EqualTo(s.Counts.Stimuli), $"{s.Name}: one interrupt per stimulus");
            Assert.That(s.Irq!.Threads, Is.Not.Empty, $"{s.Name}: the IRQ thread's scheduling is recorded");
            // Nothing else of ours ran beside the measuring thread: every other thread was kept on the other CPU.
            var harness = s.Measurement.Harness!;
            Assert.That((harness.ThreadsLeft, harness.BesideCpuNs), Is.EqualTo((0, 0L)), $"{s.Name}: {harness.Disturbed}");
            // Memory locked as touched (MCL_ONFAULT): the measuring path touched nothing for the first time in the window.
            Assert.That((harness.MeasuringMinorFaults, harness.MeasuringMajorFaults), Is.EqualTo((0L, 0L)), $"{s.Name}: {harness.Disturbed}");
            Assert.That(harness.ThreadsMoved, Is.GreaterThan(0), s.Name);
        }
        // irqPriority: the IRQ threads at 90 in the window (the results' IRQ state is read in it), each put back, read back, after it.
        foreach (var s in r.Suites.Where(s => s.Name is "valirq-intx-exclusive-idle" or "valirq-intx-pci23-idle"))
        {
            Assert.That(s.Parameters!.IrqPriority, Is.EqualTo(90), s.Name);
            Assert.That(s.Irq!.Threads, Is.Not.Empty, s.Name);
            Assert.That(s.Irq.Threads.Select(t => (t.Policy, t.Priority)), Has.All.EqualTo(("SCHED_FIFO", 90)), s.Name);
            Assert.That(s.Facts.GetValueOrDefault("irqPriority"), Does.Match(@"-> SCHED_FIFO 90; .*put back to SCHED_FIFO 50$"), s.Name);
            Assert.That(s.Facts, Does.Not.ContainKey("irqThread"), s.Name);
        }
        // Without it, the IRQ thread below the measuring thread is said, with what it costs and the key.
        Assert.That(r.Suites.Single(s => s.Name == "valirq-intx-shared-idle").Facts.GetValueOrDefault("irqThread"),
            Does.Contain("at SCHED_FIFO 50, below the measuring thread's 80").And.Contain("irqPriority"));
        // Stages from the kernel's trace, for uio as for valirq; valirq's own stamps agree with the trace's.
        foreach (var s in r.Suites.Where(s => s.Name is "uio-idle" or "valirq-msi-idle"))
        {
            var t = s.Trace!;
            Assert.That(t.Notes, Has.None.StartsWith("not traced"), s.Name);
            Assert.That(t.Matched, Is.GreaterThanOrEqualTo(190), $"{s.Name}: samples the trace holds: {string.Join("; ", t.Notes)}");
            Assert.That(t.Stages.Select(st => st.Name), Is.EqualTo(new[] { "raise-hardirq", "hardirq-thread", "thread-wakeup", "wakeup-running", "running-user" }), s.Name);
            Assert.That(t.IrqThreads, Has.Some.StartsWith("irq/"), s.Name);
            // A marker per sample, every one found in the trace, each after its sample's last stamp on the same clock.
            Assert.That((t.Markers!.Written, t.Markers.Found, t.Markers.Failed), Is.EqualTo((200L, 200L, 0L)), s.Name);
            Assert.That(t.Markers.LagP50Ns, Is.GreaterThanOrEqualTo(0), $"{s.Name}: {string.Join("; ", t.Notes)}");
        }
        // The freeze: the ring stopped 100 ms after sample 0 crossed; the samples up to it traced, every one, and those after measured untraced.
        var frozen = r.Suites.Single(s => s.Name == "valirq-msi-cpu").Trace!;
        var f = frozen.Freeze!;
        Assert.That((f.Sample, f.Stage, f.Error), Is.EqualTo((0L, "total", (string?)null)), string.Join("; ", frozen.Notes));
        Assert.That(f.FrozenAtNs - f.RaiseNs, Is.GreaterThanOrEqualTo(100_000_000L), "not before freezeAfter");
        Assert.That(f.FrozenAfterSample, Is.InRange(1L, 198L), "100 ms of 200 samples at 500/s: some before the freeze, some after");
        Assert.That((frozen.Matched, frozen.Markers!.Written, frozen.Markers.Found, f.Untraced),
            Is.EqualTo((f.FrozenAfterSample + 1, f.FrozenAfterSample + 1, f.FrozenAfterSample + 1, 199 - f.FrozenAfterSample)), string.Join("; ", frozen.Notes));
        Assert.That(frozen.Worst, Has.Count.EqualTo(3));
        Assert.That(frozen.Worst.Select(w => w.TimestampNs), Has.All.LessThan(f.FrozenAtNs), "the worst events are from the frozen ring");
        var check = r.Suites.Single(s => s.Name == "valirq-msi-idle").Trace!.Check!;
        // The two see the same events on the same clock: they agree at the median. Their tail is the emulation's (the
        // vCPU descheduled by the host between the tracepoint and valirq's stamp: in CI, 3 to over 10 of 200 samples
        // 0.3-1.8 ms apart), so `within` (p95 too) is recorded for the report, not asserted here.
        var agree = $"valirq against the trace: hard IRQ p50 {check.HardirqP50Ns} ns, p95 {check.HardirqP95Ns} ns, p99 {check.HardirqP99Ns} ns; thread p50 {check.ThreadP50Ns} ns, p95 {check.ThreadP95Ns} ns, p99 {check.ThreadP99Ns} ns";
        Assert.That(Math.Abs(check.HardirqP50Ns), Is.LessThanOrEqualTo(check.BoundNs / 4), agree);
        Assert.That(Math.Abs(check.ThreadP50Ns), Is.LessThanOrEqualTo(check.BoundNs / 4), agree);
        TestContext.Out.WriteLine(agree + $"; within the bound: {check.Within}");
        var worst = r.Suites.Single(s => s.Name == "valirq-msi-idle").Trace!;
        Assert.That((worst.Crossed, worst.Worst.Count), Is.EqualTo((200L, 3)), "every sample crossed 1 us; the 3 worst are analysed");
        foreach (var w in worst.Worst)
        {
            Assert.That(w.Words, Does.Contain("the longest stage"));
            // The IRQ thread woken by this hard IRQ, or (seen in CI) still running from the one before: one stage in place of two.
            Assert.That(w.Stages.Select(st => st.Name), Is.EqualTo(new[] { "raise-hardirq", "hardirq-thread", "thread-wakeup", "wakeup-running", "running-user" })
                .Or.EqualTo(new[] { "raise-hardirq", "hardirq-wakeup", "wakeup-running", "running-user" }), w.Words);
            for (int k = 1; k < w.Stages.Count; k++)
                Assert.That(w.Stages[k].StartNs, Is.EqualTo(w.Stages[k - 1].StartNs + w.Stages[k - 1].DurationNs), $"{w.Words}: no gap before {w.Stages[k].Name}");
            Assert.That(File.ReadAllText(Path.Combine(outDir, w.File!)), Does.Contain("irq_handler_entry"), "the raw trace window is kept");
        }
        // The host renders what the lab measured: each worst event in words, with its timeline.
        var report = Cli.Run(TimeSpan.FromMinutes(2), "report", outDir);
        Assert.That(report.ExitCode, Is.Zero, report.ToString());
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.That(html, Does.Contain("Where the time went (kernel trace)"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(html, "<svg class=\"tl\""), Is.GreaterThanOrEqualTo(3), "a timeline per analysed event");
        Assert.That(System.Text.RegularExpressions.Regex.Count(html, "the longest stage, "), Is.GreaterThanOrEqualTo(3), "each analysed event said in words");
        foreach (var s in r.Suites.Where(s => s.Backend == "valirq"))
        {
            Assert.That(s.Stages.Select(st => st.Name), Is.EqualTo(new[] { "raise-hardirq", "hardirq-thread", "thread-user", "total" }));
            Assert.That(s.Stages.All(st => st.Count == 200 && st.Negative == 0), Is.True, $"{s.Name}: stimulus <= hard IRQ <= thread <= user for every sample");
            var total = s.Stages.Single(st => st.Name == "total");
            Assert.That(total.P50Ns, Is.GreaterThanOrEqualTo(s.Stages.Take(3).Max(st => st.MinNs)));
        }
        Assert.That(r.Suites.Where(s => s.Backend == "valirq").Select(s => s.Mode).Distinct(), Is.EquivalentTo(new[] { "msi", "intx-exclusive", "intx-shared", "intx-pci23" }));
        var flood = r.Suites.Single(s => s.Name == "valirq-msi-irq-flood").Load!.Commands.Single();
        Assert.That(flood.Command, Does.Contain("flood").And.Contain("0000:00:08.0"), "the flood drives the other card");
        Assert.That(flood.LogTail, Does.Match(@"flood 0000:00:08.0: [1-9]\d* raised"), "the flood really raised interrupts");
        Assert.That(r.Suites.Single(s => s.Name == "valirq-msi-cpu").Load!.Commands.Single().ExitedEarly, Is.False);
    }

    [Test]
    public void Each_backends_measurement_loop_allocates_nothing_over_100000_iterations()
    {
        var plan = Path.Combine(Cli.Layout.Root, "tests", "Validate.LabTests", "Plans", "loop-allocation.json");
        var (run, outDir) = RunInLab("single-intx", $"{Cli.Path} run {plan} --out $OUT", timeoutS: 600);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var r = RunResults.Read(Path.Combine(outDir, "results.json"));
        Assert.That(r.Suites.Select(s => s.Backend), Is.EquivalentTo(new[] { "valirq", "uio", "timer" }));
        foreach (var s in r.Suites)
        {
            Assert.That(s.Counts!.Recorded, Is.EqualTo(100_000), s.Name);
            Assert.That(s.Measurement!.AllocatedBytes, Is.Zero, $"{s.Name}: bytes allocated by the measuring thread");
            Assert.That(s.Measurement.Gen0Collections + s.Measurement.Gen1Collections + s.Measurement.Gen2Collections, Is.Zero, $"{s.Name}: collections");
            Assert.That(s.Measurement.Harness!.MeasuringMinorFaults + s.Measurement.Harness.MeasuringMajorFaults, Is.Zero, $"{s.Name}: page faults of the measuring thread");
        }
    }

    [Test]
    public void A_run_killed_with_SIGTERM_stops_its_load_releases_the_card_and_keeps_its_results()
    {
        // Kill the run while valirq-msi-cpu is measuring (stress-ng running, the card open), then look.
        const string card = "/sys/class/misc/valirq-0000:00:04.0";
        var (run, outDir) = RunInLab("single-msi",
            $"{Cli.Path} run {EduPlan} --out $OUT --filter 'FullyQualifiedName~valirq-msi-cpu' --set suiteDefaults:count=100000 & pid=$!; " +
            "i=0; until pgrep -x stress-ng >/dev/null && [ \"$(cat " + card + "/mode)\" = msi ]; do sleep 1; i=$((i+1)); [ $i -lt 120 ] || break; done; sleep 3; " +
            "kill -TERM $pid; wait $pid; echo \"run-status=$?\"; sleep 1; " +
            "echo \"stress-ng-left=$(pgrep -c stress-ng)\"; echo \"mode=$(cat " + card + "/mode)\"; echo \"masked=$(cat " + card + "/masked)\"; " +
            "echo \"quiesces=$(cat " + card + "/quiesces)\"");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("run-status=143"), "SIGTERM is reported as 143");
        Assert.That(run.Stdout, Does.Contain("stress-ng-left=0"), "the load was stopped");
        Assert.That(run.Stdout, Does.Contain("mode=off").And.Contain("masked=0"), "the card was released and left unmasked");
        Assert.That(run.Stdout, Does.Match(@"quiesces=[1-9]"), "the quiesce program ran");
        var r = RunResults.Read(Path.Combine(outDir, "results.json"));
        var s = r.Suites.Single();
        Assert.That(s.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(s.Message, Does.StartWith("interrupted (SIGTERM)"));
        Assert.That(s.Counts!.Recorded, Is.GreaterThan(0), "what was measured before the kill is kept");
    }

    [Test]
    public void A_kernel_warning_during_a_suite_fails_that_suite_and_its_log_delta_is_kept()
    {
        var plan = Path.Combine(Cli.Layout.Root, "tests", "Validate.LabTests", "Plans", "kernel-warning.json");
        var (run, outDir) = RunInLab("single-msi", $"{Cli.Path} run {plan} --out $OUT", timeoutS: 300);
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.KernelLogProblem), "the lab itself also sees the WARNING");
        var r = RunResults.Read(Path.Combine(outDir, "results.json"));
        var quiet = r.Suites.Single(s => s.Name == "timer-quiet-log");
        Assert.That(quiet.Verdict, Is.EqualTo(Verdict.Pass), quiet.Message);
        Assert.That(quiet.KernelLog, Has.Some.Contains("an ordinary kernel log line"), "the suite's own kernel log delta");
        Assert.That(quiet.KernelLog, Has.None.Contains("injected_by_validate_lab_test"), "not the next suite's");
        var warned = r.Suites.Single(s => s.Name == "timer-kernel-warning");
        Assert.That(warned.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(warned.Message, Does.StartWith("kernel log: kernel WARNING").And.Contain("injected_by_validate_lab_test"));
        // The host renders what the lab measured (under emulation a report takes the better part of a minute).
        var report = Cli.Run(TimeSpan.FromMinutes(2), "report", outDir);
        Assert.That(report.ExitCode, Is.Zero, report.ToString());
        Assert.That(File.ReadAllText(Path.Combine(outDir, "report.html")), Does.Contain("injected_by_validate_lab_test"));
    }
}
