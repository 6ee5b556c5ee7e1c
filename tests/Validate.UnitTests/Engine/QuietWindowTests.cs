using NUnit.Framework;
using Validate.Engine;
using Validate.Interop;
using Validate.Platform;

namespace Validate.UnitTests.Engine;

/// <summary>
/// During a measurement window nothing else of ours runs beside the measuring threads: the process's
/// other threads are moved off the measuring CPUs and given them back after, and what of ours ran anyway
/// (CPU per thread, preemptions of the measuring threads, JIT compilations) is measured and said.
/// </summary>
public class QuietWindowTests
{
    private static ThreadSample T(int tid, string name, long cpuNs, int lastCpu, int[] allowed, long involuntary = 0) =>
        new(tid, name, cpuNs, 0, involuntary, lastCpu, allowed);

    [Test]
    public void A_thread_of_ours_that_ran_beside_the_measuring_thread_disturbs_the_window_and_is_named()
    {
        var before = new Dictionary<int, ThreadSample>
        {
            [1] = T(1, "measure-x-cpu1", 0, 1, [1], involuntary: 3),
            [2] = T(2, ".NET TP Worker", 10_000_000, 1, [0, 1]),
            [3] = T(3, "raw-sample-writer", 0, 0, [0]),
        };
        var after = new List<ThreadSample>
        {
            T(1, "measure-x-cpu1", 0, 1, [1], involuntary: 5),
            T(2, ".NET TP Worker", 14_000_000, 1, [0, 1]),
            T(3, "raw-sample-writer", 9_000_000, 0, [0]),
            T(4, ".NET Tiered Com", 2_000_000, 0, [0, 1]), // new in the window: counted from 0
        };
        var a = QuietWindow.Measure(before, after, new HashSet<int> { 1 }, [1], moved: 0, left: 2, jitMethods: 3, jitTimeNs: 1_500_000);
        Assert.That(a.OtherThreadsCpuNs, Is.EqualTo(15_000_000));
        Assert.That(a.BesideCpuNs, Is.EqualTo(6_000_000), "the writer was kept on CPU 0; the worker and the JIT were not");
        Assert.That(a.MeasuringPreemptions, Is.EqualTo(2));
        Assert.That(a.Busiest.Select(b => b.Name), Is.EqualTo(new[] { "raw-sample-writer", ".NET TP Worker", ".NET Tiered Com" }));
        Assert.That(a.Disturbed, Does.Contain(".NET TP Worker 4.00 ms").And.Contain("the JIT compiled 3 method(s)"));
    }

    [Test]
    public void Work_kept_on_the_housekeeping_CPUs_does_not_disturb_the_window()
    {
        var before = new Dictionary<int, ThreadSample> { [2] = T(2, "validate-progress", 0, 0, [0]) };
        var a = QuietWindow.Measure(before, [T(2, "validate-progress", 50_000_000, 0, [0])], new HashSet<int> { 1 }, [1], 1, 0, 0, 0);
        Assert.That((a.BesideCpuNs, a.Disturbed), Is.EqualTo((0L, (string?)null)));
    }

    [Test]
    public void A_JIT_still_busy_when_the_window_opened_disturbs_it()
    {
        var a = QuietWindow.Measure(new Dictionary<int, ThreadSample>(), [], new HashSet<int> { 1 }, [1], 3, 0, 0, 0, jitSettled: false);
        Assert.That(a.Disturbed, Is.EqualTo("harness activity in the window: the JIT was still compiling 3 s after the warm-up"));
    }

    [Test]
    public void A_page_fault_of_the_measuring_thread_in_the_window_is_counted_and_disturbs_it()
    {
        var before = new Dictionary<int, ThreadSample> { [1] = T(1, "measure", 0, 0, [1]) with { MinorFaults = 40, MajorFaults = 2 } };
        var a = QuietWindow.Measure(before, [T(1, "measure", 9_000_000, 0, [1]) with { MinorFaults = 43, MajorFaults = 2 }], new HashSet<int> { 1 }, [1], 3, 0, 0, 0);
        Assert.That((a.MeasuringMinorFaults, a.MeasuringMajorFaults), Is.EqualTo((3L, 0L)));
        Assert.That(a.Disturbed, Does.Contain("the measuring thread page-faulted in the window (3 minor, 0 major)"));
        // The fields of /proc/TID/stat: minflt is the 10th, majflt the 12th.
        var stat = "1234 (measure cpu1) S 1 1 1 0 -1 4194368 17 0 5 0 10 20 0 0 -41 0 30 0 100 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 80 1 0 0 0";
        var t = ThreadActivity.Parse(1234, stat, "voluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t1\nCpus_allowed_list:\t1\n")!;
        Assert.That((t.MinorFaults, t.MajorFaults, t.LastCpu), Is.EqualTo((17L, 5L, 1)));
    }

    [Test]
    public void A_load_thread_of_the_suite_is_the_load_not_the_harness()
    {
        var before = new Dictionary<int, ThreadSample> { [7] = T(7, "load-irq-flood", 0, 1, [0, 1]) };
        var a = QuietWindow.Measure(before, [T(7, "load-irq-flood", 900_000_000, 1, [0, 1])], new HashSet<int> { 1 }, [1], 0, 0, 0, 0);
        Assert.That((a.OtherThreadsCpuNs, a.Disturbed), Is.EqualTo((0L, (string?)null)));
    }

    [Test]
    public void Other_threads_leave_the_measuring_CPU_for_the_window_and_get_it_back_after()
    {
        var cpus = Scheduling.GetAffinity(0);
        if (cpus.Count < 2) Assert.Ignore($"needs 2 CPUs to keep one for housekeeping; this process may use {cpus.Count}");
        var measuringCpu = cpus[^1];
        using var stop = new ManualResetEventSlim();
        var otherTid = 0;
        using var started = new ManualResetEventSlim();
        var other = new Thread(() => { otherTid = Scheduling.CurrentThreadId(); started.Set(); stop.Wait(); }) { IsBackground = true, Name = "quiet-other" };
        other.Start();
        started.Wait();
        try
        {
            var window = QuietWindow.Enter([Scheduling.CurrentThreadId()], [measuringCpu]);
            var during = Scheduling.GetAffinity(otherTid);
            var mine = Scheduling.GetAffinity(0);
            var activity = window.Leave();
            Assert.That(during, Does.Not.Contain(measuringCpu), "moved off the measuring CPU during the window");
            Assert.That(mine, Is.EqualTo(cpus), "the measuring thread itself is not moved");
            Assert.That(Scheduling.GetAffinity(otherTid), Is.EqualTo(cpus), "given back after");
            Assert.That(activity.ThreadsMoved, Is.GreaterThanOrEqualTo(1));
        }
        finally
        {
            stop.Set();
            other.Join();
        }
    }

    [Test]
    public void The_validate_run_that_started_the_runner_is_kept_off_too_but_only_when_it_is_the_parent()
    {
        var proc = Directory.CreateTempSubdirectory("validate-proc-").FullName;
        var saved = Environment.GetEnvironmentVariable(QuietWindow.CliPidVariable);
        try
        {
            Directory.CreateDirectory(Path.Combine(proc, "self"));
            // A command name with a space and a parenthesis: the fields are counted from the last ')'.
            File.WriteAllText(Path.Combine(proc, "self", "stat"), "4242 (Validate.S) ites) S 4100 4242 4100 0 -1 4194560 1 0");
            Assert.That(ThreadActivity.ParentPid(Path.Combine(proc, "self", "stat")), Is.EqualTo(4100));
            Environment.SetEnvironmentVariable(QuietWindow.CliPidVariable, "4100");
            Assert.That(QuietWindow.CliTaskDir(proc), Is.EqualTo(Path.Combine(proc, "4100", "task")));
            Environment.SetEnvironmentVariable(QuietWindow.CliPidVariable, "4101");
            Assert.That(QuietWindow.CliTaskDir(proc), Is.Null, "a pid that is not our parent is never moved");
            Environment.SetEnvironmentVariable(QuietWindow.CliPidVariable, null);
            Assert.That(QuietWindow.CliTaskDir(proc), Is.Null, "run without validate: only our own threads");
        }
        finally
        {
            Environment.SetEnvironmentVariable(QuietWindow.CliPidVariable, saved);
            Directory.Delete(proc, recursive: true);
        }
    }
}
