using System.Runtime;
using Validate.Interop;
using Validate.Platform;
using Validate.Realtime;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// A measurement window in which nothing else of ours runs beside the measuring threads: on entry every
/// other thread of the process (test platform, thread pool, GC, JIT, raw-sample writer, progress, loggers),
/// and every thread of the `validate run` process that started it (it reads the events and draws progress),
/// is moved to the housekeeping CPUs (those the process may use less the measuring ones; a thread created
/// during the window inherits its creator's), on exit their CPUs are given back, and what they did in the
/// window is measured: CPU time per thread from /proc/self/task (ns, schedstat), the measuring threads'
/// preemptions and migrations, what the JIT compiled. Entering and leaving read /proc and allocate: both
/// happen outside the window. With no housekeeping CPU (every CPU measures) nothing can be moved: the
/// activity is still measured, and any of it counts as a disturbance.
/// </summary>
public sealed class QuietWindow
{
    /// <summary>
    /// Threads whose name starts with this are a load the suite asked for (the irq-flood thread): they run
    /// where they would, are not moved, and are not counted as the harness's own cost.
    /// </summary>
    public const string LoadThreadPrefix = Loads.IrqFlood.LoadThreadPrefix;

    /// <summary>CPU time of our other threads beside the measuring ones above which a window is disturbed.</summary>
    public static readonly long DisturbedAtNs = 1_000_000;

    private readonly HashSet<int> _measuring;
    private readonly IReadOnlyList<int> _measuringCpus;
    private readonly List<(int Tid, IReadOnlyList<int> Cpus)> _moved = [];
    private readonly int _left;
    private readonly Dictionary<int, ThreadSample> _before;
    private readonly int _self;
    private readonly long _jitMethods;
    private readonly TimeSpan _jitTime;

    private QuietWindow(IEnumerable<int> measuringTids, IReadOnlyList<int> measuringCpus, IReadOnlyList<int> housekeeping)
    {
        _measuring = [.. measuringTids];
        _measuringCpus = measuringCpus;
        var threads = Threads();
        foreach (var t in threads)
        {
            if (_measuring.Contains(t.Tid) || t.Name.StartsWith(LoadThreadPrefix, StringComparison.Ordinal) || !t.Allowed.Any(measuringCpus.Contains)) continue;
            var to = t.Allowed.Where(c => !measuringCpus.Contains(c)).ToList();
            if (to.Count == 0) to = [.. housekeeping];
            if (to.Count > 0 && Scheduling.SetAffinity(t.Tid, to) == 0) _moved.Add((t.Tid, t.Allowed));
            else _left++;
        }
        // Read again after the moves: what each thread was allowed during the window, and its start figures.
        // The calling thread (it only waits for the measuring threads in the window) is read last, so that
        // reading /proc is not counted as activity in the window.
        _self = Scheduling.CurrentThreadId();
        // Leave's own code is compiled now, so that neither its compilation nor its first call counts in the window.
        System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(typeof(QuietWindow).GetMethod(nameof(Leave), [typeof(bool)])!.MethodHandle);
        _before = Threads().ToDictionary(t => t.Tid);
        if (ThreadActivity.SampleOne(_self) is { } self) _before[_self] = self;
        _jitMethods = JitInfo.GetCompiledMethodCount(currentThread: false);
        _jitTime = JitInfo.GetCompilationTime(currentThread: false);
    }

    /// <summary>
    /// The environment variable in which `validate run` gives the runner its own process id: the run's other
    /// process, which reads the runner's events and draws the progress, is ours too.
    /// </summary>
    public const string CliPidVariable = "VALIDATE_CLI_PID";

    /// <summary>What the window keeps off the measuring CPUs: this process's threads, and those of the `validate` that started it.</summary>
    private static List<ThreadSample> Threads()
    {
        var threads = ThreadActivity.Sample().ToList();
        if (CliTaskDir() is { } cli)
            threads.AddRange(ThreadActivity.Sample(cli).Select(t => t with { Name = "cli/" + t.Name }));
        return threads;
    }

    /// <summary>/proc/PID/task of the `validate run` that started this runner (named in <see cref="CliPidVariable"/> and our parent), or null.</summary>
    public static string? CliTaskDir(string proc = "/proc")
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(CliPidVariable), out var pid) || pid <= 1) return null;
        // Only our parent: a stale or inherited variable must not move some other process.
        return ThreadActivity.ParentPid(Path.Combine(proc, "self", "stat")) == pid ? Path.Combine(proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "task") : null;
    }

    /// <summary>Moves the process's other threads off <paramref name="measuringCpus"/>; call right before the window opens.</summary>
    public static QuietWindow Enter(IEnumerable<int> measuringTids, IReadOnlyList<int> measuringCpus) =>
        new(measuringTids, measuringCpus, [.. Scheduling.GetAffinity(0).Where(c => !measuringCpus.Contains(c))]);

    /// <summary>Gives the other threads their CPUs back and says what of ours ran during the window.</summary>
    /// <param name="jitSettled">whether the JIT had gone quiet before the window opened</param>
    public HarnessActivity Leave(bool jitSettled = true)
    {
        var jitMethods = JitInfo.GetCompiledMethodCount(currentThread: false) - _jitMethods;
        var jitTime = JitInfo.GetCompilationTime(currentThread: false) - _jitTime;
        var self = ThreadActivity.SampleOne(_self); // first, before the reads below cost it CPU
        var after = Threads().Select(t => t.Tid == _self && self is not null ? self : t).ToList();
        foreach (var (tid, cpus) in _moved)
            Scheduling.SetAffinity(tid, cpus); // a thread that ended in the window is gone: nothing to give back
        return Measure(_before, after, _measuring, _measuringCpus, _moved.Count, _left, jitMethods, (long)jitTime.TotalNanoseconds, jitSettled);
    }

    /// <summary>The activity between two samples of the process's threads (a thread new in the window counts from 0).</summary>
    public static HarnessActivity Measure(IReadOnlyDictionary<int, ThreadSample> before, IReadOnlyList<ThreadSample> after, IReadOnlySet<int> measuring,
        IReadOnlyList<int> measuringCpus, int moved, int left, long jitMethods, long jitTimeNs, bool jitSettled = true)
    {
        var costs = new List<ThreadCost>();
        long preemptions = 0, minor = 0, major = 0;
        int migrations = 0;
        foreach (var t in after)
        {
            before.TryGetValue(t.Tid, out var b);
            if (measuring.Contains(t.Tid))
            {
                preemptions += t.Involuntary - (b?.Involuntary ?? 0);
                minor += t.MinorFaults - (b?.MinorFaults ?? 0);
                major += t.MajorFaults - (b?.MajorFaults ?? 0);
                if (!measuringCpus.Contains(t.LastCpu)) migrations++;
                continue;
            }
            if (t.Name.StartsWith(LoadThreadPrefix, StringComparison.Ordinal)) continue;
            var cpu = t.CpuNs - (b?.CpuNs ?? 0);
            if (cpu <= 0) continue;
            // Where it may have run during the window: its allowed CPUs then (new threads: now).
            var allowed = b?.Allowed ?? t.Allowed;
            costs.Add(new ThreadCost(t.Tid, t.Name, cpu, t.LastCpu, allowed.Any(measuringCpus.Contains)));
        }
        var beside = costs.Where(c => c.BesideMeasuring).Sum(c => c.CpuNs);
        var why = new List<string>();
        if (beside >= DisturbedAtNs)
            why.Add($"threads of ours ran where the measuring thread runs for {Duration.Format(beside)} ({string.Join(", ", costs.Where(c => c.BesideMeasuring).OrderByDescending(c => c.CpuNs).Take(3).Select(c => $"{c.Name} {Duration.Format(c.CpuNs)}"))})");
        // The JIT runs on whichever thread calls a method first: beside the measuring threads only when some thread could not be moved.
        if (jitMethods > 0 && (left > 0 || moved == 0))
            why.Add($"the JIT compiled {jitMethods} method(s) in the window ({Duration.Format(jitTimeNs)})");
        if (!jitSettled) why.Add("the JIT was still compiling 3 s after the warm-up");
        // A page fault in the measuring path: memory it touched for the first time in the window (or paged out).
        if (minor + major > 0)
            why.Add($"the measuring thread page-faulted in the window ({minor} minor, {major} major): memory its path touched first there; realtime:prefault reads every mapping in at the start");
        return new HarnessActivity(moved, left, costs.Sum(c => c.CpuNs), beside, preemptions, migrations, jitMethods, jitTimeNs,
            [.. costs.OrderByDescending(c => c.CpuNs).Take(8)], why.Count == 0 ? null : "harness activity in the window: " + string.Join("; ", why), minor, major);
    }
}
