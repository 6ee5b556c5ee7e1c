using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.CompilerServices;
using HdrHistogram;
using Validate.Backends;
using Validate.Devices;
using Validate.Interop;
using Validate.Loads;
using Validate.Platform;
using Validate.Plans;
using Validate.Realtime;
using Validate.Recording;
using Validate.Results;

namespace Validate.Engine;

/// <summary>Where a run writes and how it reaches the rest of the harness.</summary>
/// <param name="OutDir">the run's output folder (results.json, samples/, loads/)</param>
/// <param name="FloodCommand">argv that floods a card with interrupts (the CLI's `flood`), given the card address and load command</param>
/// <param name="Log">progress lines (never called from a measuring thread)</param>
public sealed record RunContext(string OutDir, Func<string, LoadCommand, IReadOnlyList<string>>? FloodCommand, Action<string> Log);

/// <summary>
/// Runs one latency suite in the three phases every measurement here has:
/// set up (bind the card, start the load and let it settle, start the measuring threads: affinity,
/// SCHED_FIFO, stack prefaulted, device opened, code warmed up, a no-GC region entered),
/// measure (each thread: backend.MeasureOne into a preallocated recorder; nothing else),
/// report (stop the load, close the devices, statistics, verdict against the plan's limits).
/// </summary>
public static class SuiteRunner
{
    /// <summary>Consecutive lost interrupts after which a suite stops: the card is not interrupting.</summary>
    public const int GiveUpAfterLost = 10;

    public static SuiteResult Run(Plan plan, SuitePlan suite, RunContext ctx) =>
        Observe(suite, result => RunInner(plan, suite, ctx, result));

    /// <summary>
    /// Runs <paramref name="inner"/> for a suite: an error of the machine or the plan becomes the suite's
    /// ERROR with its message, and the kernel log delta of the suite is kept and judged: any WARN, BUG,
    /// Oops, "nobody cared", ... fails it.
    /// </summary>
    public static SuiteResult Observe(SuitePlan suite, Action<SuiteResult> inner)
    {
        var result = new SuiteResult { Name = suite.Name, Backend = suite.Backend.ToString().ToLowerInvariant(), Mode = suite.Mode };
        using var kernelLog = KernelLog.OpenAtEnd();
        try
        {
            inner(result);
        }
        catch (Exception e) when (e is ValidateException or InteropException or IOException or UnauthorizedAccessException)
        {
            result.Verdict = Verdict.Error;
            result.Message = e.Message;
        }
        // The kernel log delta of the suite: any WARN, BUG, Oops, "nobody cared", ... fails it.
        if (kernelLog.Available)
        {
            result.KernelLog = [.. kernelLog.ReadNew()];
            foreach (var f in Lab.KernelLogScanner.Scan(result.KernelLog, "kernel log")) result.KernelFindings.Add($"{f.Kind}: {f.Line}");
            if (result.KernelFindings.Count > 0 && result.Verdict != Verdict.Error)
            {
                result.Verdict = Verdict.Fail;
                result.CountsVerdict = Verdict.Fail;
                result.Message = $"kernel log: {result.KernelFindings[0]}{(result.KernelFindings.Count > 1 ? $" and {result.KernelFindings.Count - 1} more" : "")}; " + result.Message;
            }
        }
        return result;
    }

    private static void RunInner(Plan plan, SuitePlan suite, RunContext ctx, SuiteResult result)
    {
        var periodNs = suite.RateHz > 0 ? 1_000_000_000L / suite.RateHz : 0;
        PciDevice? card = null;
        PciBinding? binding = null;
        PciBinding? floodBinding = null;
        LoadSet? loads = null;
        var threads = suite.Backend == BackendKind.Timer ? suite.Cpus.Count : 1;
        var backends = new LatencyBackend[threads];
        var recorders = new LatencyRecorder[threads];
        try
        {
            // ---- set up ----
            if (suite.Backend != BackendKind.Timer)
            {
                card = CardLocator.Find(plan.Card);
                binding = PciBinding.Bind(card.Address, suite.Backend == BackendKind.Valirq ? "valirq" : "uio_pci_generic");
                result.Facts["card"] = $"{card.Address} {card.Vendor:x4}:{card.Device:x4} rev {card.Revision:x2}";
                result.Facts["driver"] = binding.Driver;
            }
            loads = StartLoads(plan, suite, ctx, card, b => floodBinding = b);

            var samplesDir = Path.Combine(ctx.OutDir, "samples");
            Directory.CreateDirectory(samplesDir);
            for (int i = 0; i < threads; i++)
            {
                backends[i] = suite.Backend switch
                {
                    BackendKind.Timer => new TimerBackend(periodNs),
                    BackendKind.Valirq => new ValirqBackend(card!.Address, suite.Mode, plan.Program!.Value, plan.Quiesce, plan.Stimulus!, periodNs, suite.TimeoutMs),
                    _ => new UioBackend(card!.Address, plan.Program!.Value, plan.Stimulus!, periodNs, suite.TimeoutMs),
                };
                var raw = Path.Combine(samplesDir, threads == 1 ? $"{suite.Name}.bin.gz" : $"{suite.Name}-cpu{suite.Cpus[i]}.bin.gz");
                recorders[i] = new LatencyRecorder(backends[i].Stages, raw, suite.RawRing);
                result.RawFiles.Add(Path.GetRelativePath(ctx.OutDir, raw));
            }

            var m = Measure(suite, plan.Realtime, backends, recorders, ctx);
            result.Measurement = m.Info;
            result.Realtime = new SuiteRealtime(m.ThreadStates, suite.Priority, suite.Cpus, m.Problems);
            foreach (var (k, v) in backends[0].Facts) result.Facts[k] = v;
            if (card is not null)
            {
                var msi = IrqState.MsiIrqs(card.Address);
                var irq = suite.Mode == "msi" && msi.Count > 0 ? msi[0] : card.Irq;
                result.Irq = IrqState.Capture(irq);
            }
            if (m.Error is not null) throw m.Error;
            if (m.GaveUp)
                throw new ValidateException(ExitCodes.Failed, $"{GiveUpAfterLost} interrupts in a row were lost (timeout {suite.TimeoutMs} ms each): the card is not interrupting; check the IRQ program, the mode and the binding");
        }
        finally
        {
            // ---- report (and leave the machine as found) ----
            var loadRecords = loads?.Stop();
            loads?.Dispose();
            if (loadRecords is not null) result.Load = new LoadInfo(suite.Load.Name, suite.Load.Description, loadRecords);
            else result.Load = new LoadInfo(suite.Load.Name, suite.Load.Description, []);
            foreach (var b in backends) b?.Dispose();
            foreach (var r in recorders) r?.Dispose();
            floodBinding?.Dispose();
            binding?.Dispose();
        }

        Summarize(suite, backends, recorders, result);
        Judge(suite, result);
    }

    /// <summary>
    /// Starts the suite's load profile (null when idle) and lets it settle; an irq-flood load floods another
    /// card with the plan's ids, bound to valirq (<paramref name="floodBound"/> gets that binding to undo).
    /// </summary>
    public static LoadSet? StartLoads(Plan plan, SuitePlan suite, RunContext ctx, PciDevice? card, Action<PciBinding> floodBound)
    {
        if (suite.Load.Commands.Count == 0) return null;
        PciBinding? floodBinding = null;
        var loads = LoadSet.Start(suite.Load, Path.Combine(ctx.OutDir, "loads"), cmd =>
        {
            if (ctx.FloodCommand is null || card is null) return null;
            var flood = CardLocator.FindFlood(plan.Card, card.Address);
            if (flood is null) return null;
            if (floodBinding is null)
            {
                floodBinding = PciBinding.Bind(flood.Address, "valirq");
                floodBound(floodBinding);
            }
            return ctx.FloodCommand(flood.Address, cmd);
        });
        ctx.Log($"{suite.Name}: load {suite.Load.Name} started ({string.Join("; ", suite.Load.Commands)}); settling {suite.LoadSettleS:0.#} s");
        Thread.Sleep(TimeSpan.FromSeconds(suite.LoadSettleS));
        if (loads.Exited().ToList() is { Count: > 0 } exited)
        {
            loads.Stop();
            loads.Dispose();
            throw new ValidateException(ExitCodes.SetupError, $"load {suite.Load.Name}: exited before measuring began: {string.Join(", ", exited)}; see {Path.Combine(ctx.OutDir, "loads")}");
        }
        return loads;
    }

    private sealed record MeasureOutcome(MeasurementInfo Info, IReadOnlyList<ThreadSchedState> ThreadStates, IReadOnlyList<string> Problems, Exception? Error, bool GaveUp);

    private static MeasureOutcome Measure(SuitePlan suite, RealtimeSettings rt, LatencyBackend[] backends, LatencyRecorder[] recorders, RunContext ctx)
    {
        var n = backends.Length;
        var states = new ThreadSchedState[n];
        var allocated = new long[n];
        var errors = new Exception?[n];
        var gaveUp = new bool[n];
        var problems = new List<string>();
        using var ready = new CountdownEvent(n);
        using var go = new ManualResetEventSlim(false);
        var durationNs = suite.DurationS is { } d ? (long)(d * 1e9) : long.MaxValue;
        var startNs = 0L;

        var workers = new Thread[n];
        for (int i = 0; i < n; i++)
        {
            var index = i;
            var cpu = suite.Cpus[i];
            workers[i] = new Thread(() =>
            {
                try
                {
                    // Set up, on the measuring thread itself: scheduling applies per thread.
                    try { RealtimeCalls.SetAffinity([cpu]); }
                    catch (InteropException e) { lock (problems) problems.Add(e.Message); }
                    try { RealtimeCalls.SetFifo(suite.Priority); }
                    catch (InteropException e)
                    {
                        var why = e.ErrorNumber == Errno.EPERM
                            ? $"{e.Message}: no permission for real-time priority; raise the rtprio limit (limits.d: @validate - rtprio 95; systemd: LimitRTPRIO=95) or run as root"
                            : e.Message;
                        lock (problems) problems.Add(why);
                        if (rt.AbortOnFailure) throw new ValidateException(ExitCodes.SetupError, why + " (realtime:onFailure=abort)");
                    }
                    RealtimeCalls.PrefaultStack();
                    backends[index].Open();
                    states[index] = RealtimeCalls.ReadThread();
                    Warmup(backends[index], backends[index].Stages, suite.Warmup);
                }
                catch (Exception e) when (e is ValidateException or InteropException or IOException or UnauthorizedAccessException)
                {
                    errors[index] = e;
                }
                finally
                {
                    ready.Signal();
                }
                go.Wait();
                if (errors[index] is not null) return;
                allocated[index] = MeasureLoop(backends[index], recorders[index], suite.Count, startNs, durationNs, out gaveUp[index]);
            }, maxStackSize: 1 << 20) { IsBackground = true, Name = $"measure-{suite.Name}-cpu{cpu}" };
            workers[i].Start();
        }

        ready.Wait();
        // Everything the run needs is allocated: collect now, then ask for no GC during the window.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var noGc = false;
        try { noGc = GC.TryStartNoGCRegion(32L << 20); }
        catch (InvalidOperationException) { }
        catch (ArgumentOutOfRangeException) { }
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var started = DateTime.UtcNow;
        var sw = Stopwatch.StartNew();
        startNs = MonotonicClock.NowNs();
        go.Set();
        foreach (var w in workers) w.Join();
        sw.Stop();
        var info = new MeasurementInfo(started, sw.Elapsed.TotalSeconds, n, allocated.Sum(),
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2,
            noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion, suite.Warmup);
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try { GC.EndNoGCRegion(); }
            catch (InvalidOperationException) { }
        }
        ctx.Log($"{suite.Name}: measured {recorders.Sum(r => r.Count)} samples in {sw.Elapsed.TotalSeconds:0.0} s");
        // One line per distinct problem, however many measuring threads had it.
        var distinct = problems.Select(p => System.Text.RegularExpressions.Regex.Replace(p, @" on thread \d+", "")).Distinct().ToList();
        return new MeasureOutcome(info, states.Where(s => s is not null).ToList(), distinct, errors.FirstOrDefault(e => e is not null), gaveUp.Any(g => g));
    }

    /// <summary>
    /// Warm-up: the measurement loop itself, into a scratch recorder, so that every method it calls is
    /// compiled and every type initialized before the first measured iteration. Then the counters restart.
    /// </summary>
    private static void Warmup(LatencyBackend backend, IReadOnlyList<string> stages, int iterations)
    {
        using (var scratch = new LatencyRecorder(stages, rawPath: null, rawRing: 1024))
            MeasureLoop(backend, scratch, Math.Max(iterations, 1), MonotonicClock.NowNs(), long.MaxValue, out _);
        var c = backend.Counters;
        c.Stimuli = c.Events = c.Interrupts = c.Lost = c.Extra = c.Missed = c.Overruns = c.Errors = 0;
        c.LastErrno = 0;
    }

    /// <summary>
    /// The measurement loop. Allocates nothing, logs nothing, takes no lock: backend.MeasureOne into a
    /// preallocated sample, the recorder's arithmetic, the stop conditions. Returns the bytes this thread
    /// allocated during the loop (expected: 0; the results carry it and a test asserts it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long MeasureLoop(LatencyBackend backend, LatencyRecorder recorder, long count, long startNs, long durationNs, out bool gaveUp)
    {
        backend.ResetPacing();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var s = default(Sample);
        var deadline = durationNs == long.MaxValue ? long.MaxValue : startNs + durationNs;
        var lostInRow = 0;
        gaveUp = false;
        for (long i = 0; i < count; i++)
        {
            if (RunAbort.Requested) break;
            var o = backend.MeasureOne(ref s);
            if (o == Outcome.Measured)
            {
                recorder.Record(s);
                lostInRow = 0;
            }
            else if (o == Outcome.Lost && ++lostInRow >= GiveUpAfterLost)
            {
                gaveUp = true;
                break;
            }
            if (deadline != long.MaxValue && MonotonicClock.NowNs() >= deadline) break;
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Summarize(SuitePlan suite, LatencyBackend[] backends, LatencyRecorder[] recorders, SuiteResult result)
    {
        var live = recorders.Where(r => r is not null).ToList();
        if (live.Count == 0 || backends.Any(b => b is null)) return;
        long Sum(Func<BackendCounters, long> f) => backends.Sum(b => f(b.Counters));
        var lastErrno = backends.Select(b => b.Counters.LastErrno).FirstOrDefault(e => e != 0);
        result.Counts = new SuiteCounts(
            suite.Count == int.MaxValue ? 0 : suite.Count * (long)backends.Length,
            live.Sum(r => r.Count), Sum(c => c.Stimuli), Sum(c => c.Events), Sum(c => c.Interrupts), Sum(c => c.Lost),
            Sum(c => c.Extra), Sum(c => c.Missed), Sum(c => c.Overruns), Sum(c => c.Errors),
            lastErrno == 0 ? null : $"{Errno.Name(lastErrno)} ({Errno.Text(lastErrno)})",
            live.Sum(r => r.RawWritten), live.Sum(r => r.RawDropped), live.Sum(r => r.Clamped));
        var stages = backends[0].Stages;
        result.Stages.AddRange(StageSummaries(live, stages));
        if (IntervalP99(live, stages.Count - 1, result.Stages[^1].IntervalNs) is { } p99)
            result.Stages[^1] = result.Stages[^1] with { IntervalP99Ns = p99 };
        var last = stages.Count - 1;
        foreach (var w in live.SelectMany(r => r.Worst()).OrderByDescending(w => w.Stages[last]).Take(LatencyRecorder.WorstKept))
        {
            var v = new long[stages.Count];
            for (int k = 0; k < v.Length; k++) v[k] = w.Stages[k];
            result.Worst.Add(new WorstEvent(w.TimestampNs, v));
        }
    }

    /// <summary>Per-stage statistics of one or more recorders (the measuring threads of a suite), merged.</summary>
    public static List<StageResult> StageSummaries(IReadOnlyList<LatencyRecorder> live, IReadOnlyList<string> stages)
    {
        var list = new List<StageResult>();
        for (int i = 0; i < stages.Count; i++)
        {
            var h = new LongHistogram(1, LatencyRecorder.HighestTrackableNs, 3);
            foreach (var r in live) h.Add(r.Histogram(i));
            if (h.TotalCount == 0)
            {
                list.Add(new StageResult(stages[i], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, live[0].IntervalNs, [], []));
                continue;
            }
            var intervalNs = live.Max(r => r.IntervalNs);
            var intervals = live.Select(r => Rescale(r.IntervalMaxima(i), r.IntervalNs, intervalNs)).ToList();
            var merged = new long[intervals.Max(x => x.Length)];
            foreach (var x in intervals)
                for (int k = 0; k < x.Length; k++) merged[k] = Math.Max(merged[k], x[k]);
            var distribution = h.Percentiles(5)
                .Select(v => new DistributionPoint(v.ValueIteratedTo, Math.Round(v.PercentileLevelIteratedTo, 6), v.TotalCountToThisValue))
                .DistinctBy(p => p.ValueNs)
                .ToList();
            var buckets = h.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAddedInThisIterationStep }).ToList();
            list.Add(new StageResult(
                stages[i], h.TotalCount, live.Min(r => r.Min(i)),
                h.GetValueAtPercentile(50), h.GetValueAtPercentile(90), h.GetValueAtPercentile(99),
                h.GetValueAtPercentile(99.9), h.GetValueAtPercentile(99.99), live.Max(r => r.Max(i)),
                Math.Round(h.GetMean(), 1), Math.Round(h.GetStdDeviation(), 1), live.Sum(r => r.Negative(i)),
                intervalNs, merged, distribution, buckets));
        }
        return list;
    }

    /// <summary>
    /// Per-interval 99th percentile of one stage, from the raw sample files after the run (never during
    /// it): null when a raw file is missing or samples were dropped from it, since the answer would be wrong.
    /// </summary>
    public static long[]? IntervalP99(IReadOnlyList<LatencyRecorder> recorders, int stage, long intervalNs)
    {
        if (recorders.Count == 0 || recorders.Any(r => r.RawPath is null || r.RawDropped > 0 || !File.Exists(r.RawPath))) return null;
        var perInterval = new List<List<long>>();
        long start = long.MaxValue;
        foreach (var r in recorders)
            foreach (var (ts, _) in RawSampleWriter.Read(r.RawPath!).Take(1))
                start = Math.Min(start, ts);
        foreach (var r in recorders)
        {
            foreach (var (ts, values) in RawSampleWriter.Read(r.RawPath!))
            {
                var i = (int)Math.Max(0, (ts - start) / intervalNs);
                while (perInterval.Count <= i) perInterval.Add([]);
                perInterval[i].Add(values[stage]);
            }
        }
        return perInterval.Select(v =>
        {
            if (v.Count == 0) return 0L;
            v.Sort();
            return v[(int)Math.Ceiling(0.99 * v.Count) - 1];
        }).ToArray();
    }

    private static long[] Rescale(long[] maxima, long fromNs, long toNs)
    {
        if (fromNs == toNs) return maxima;
        var factor = (int)(toNs / fromNs);
        var r = new long[(maxima.Length + factor - 1) / factor];
        for (int k = 0; k < maxima.Length; k++) r[k / factor] = Math.Max(r[k / factor], maxima[k]);
        return r;
    }

    /// <summary>The suite's verdict: limits per stage with the marginal band, and the counts that must stay at zero.</summary>
    public static void Judge(SuitePlan suite, SuiteResult result)
    {
        var lim = suite.Limits;
        var verdicts = new List<Verdict>();
        var countVerdicts = new List<Verdict>();
        var reasons = new List<string>();
        foreach (var l in lim.Stages)
        {
            var stage = result.Stages.FirstOrDefault(s => s.Name == l.Stage);
            long? value = stage is { Count: > 0 } ? stage.Statistic(l.Statistic) : null;
            Verdict v;
            string text;
            if (value is null) { v = Verdict.Fail; text = $"{l.Stage} {l.Statistic}: no samples (limit {Duration.Format(l.Ns)})"; }
            else if (value > l.Ns) { v = Verdict.Fail; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} > limit {Duration.Format(l.Ns)}"; }
            else if (value > l.Ns * (1 - lim.Marginal)) { v = Verdict.Marginal; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} within {lim.Marginal:P0} of limit {Duration.Format(l.Ns)}"; }
            else { v = Verdict.Pass; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} <= {Duration.Format(l.Ns)}"; }
            result.Limits.Add(new LimitResult(l.Stage, l.Statistic, l.Ns, value, v, text));
            verdicts.Add(v);
            if (v != Verdict.Pass) reasons.Add(text);
        }
        if (result.Counts is { } c)
        {
            if (c.Recorded == 0) { countVerdicts.Add(Verdict.Fail); reasons.Add("no samples were recorded"); }
            if (c.Lost > lim.MaxLost) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Lost} interrupts lost (limit {lim.MaxLost})"); }
            if (c.Extra > lim.MaxLost) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Extra} interrupts more than stimuli (duplicated or unrequested; limit {lim.MaxLost})"); }
            if (c.Missed > lim.MaxMissed) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Missed} timer periods missed (limit {lim.MaxMissed})"); }
            if (c.Errors > 0) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Errors} device calls failed, last {c.LastError}"); }
        }
        result.CountsVerdict = RunResults.Combine(countVerdicts);
        verdicts.AddRange(countVerdicts);
        if (result.Verdict == Verdict.Error) return;
        result.Verdict = RunResults.Combine(verdicts);
        var rtNote = result.Realtime is { IsRealtime: false } r ? $"NOT REAL-TIME ({string.Join("; ", r.Problems)}); " : "";
        result.Message = reasons.Count > 0 ? rtNote + string.Join("; ", reasons) : rtNote + (lim.Stages.Count == 0 ? "no limits in the plan: measured only" : "all limits met");
        if (RunAbort.Requested)
        {
            result.Verdict = Verdict.Error;
            result.Message = $"interrupted ({RunAbort.Why}); partial results: " + result.Message;
        }
    }
}
