using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;
using Validate.Analysis;
using Validate.Backends;
using Validate.Interop;
using Validate.Platform;
using Validate.Plans;
using Validate.Realtime;
using Validate.Recording;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// A latency suite, in the three phases every measurement here has:
/// set up (bind the card, start the load and let it settle, start the measuring threads: affinity,
/// SCHED_FIFO, stack prefaulted, device opened, code warmed up, a no-GC region entered),
/// measure (each thread: backend.MeasureOne into a preallocated recorder; nothing else),
/// report (stop the load, close the devices, statistics, verdict against the plan's limits).
/// </summary>
public sealed class LatencySuiteRunner : ISuiteRunner
{
    /// <summary>Consecutive lost interrupts after which a suite stops: the card is not interrupting.</summary>
    public const int GiveUpAfterLost = 10;

    // What Run leaves for Conclude: one suite at a time per runner (the session runs suites one by one).
    private LatencyBackend[] _backends = [];
    private LatencyRecorder[] _recorders = [];
    private List<string>? _traceLines;
    private HashSet<int> _traceIrqs = [];
    private long _traceOverrun;
    private int _traceBufferKb;
    private int _traceTid;
    private string? _traceNote;
    private Tracing.MarksOutcome? _traceMarks;

    public bool Runs(SuitePlan suite) => !suite.IsFault;

    public string Describe(SuitePlan suite) => $"{suite.Backend.ToString().ToLowerInvariant()} {suite.Mode}, load {suite.Load.Name}";

    public void Run(SuiteScope scope)
    {
        var (plan, suite, ctx, result) = (scope.Plan, scope.Suite, scope.Context, scope.Result);
        (_traceLines, _traceIrqs, _traceOverrun, _traceBufferKb, _traceTid, _traceNote, _traceMarks) = (null, [], 0, 0, 0, null, null);
        var periodNs = suite.RateHz > 0 ? 1_000_000_000L / suite.RateHz : 0;
        var threads = suite.Backend == BackendKind.Timer ? suite.Cpus.Count : 1;
        var backends = new LatencyBackend[threads];
        var recorders = new LatencyRecorder[threads];
        (_progressDone, _progressAt) = (0, 0);
        Devices.PciDevice? card = null;
        Platform.IrqThreadPriority? irqThreads = null;
        try
        {
            // ---- set up ----
            if (suite.Backend != BackendKind.Timer)
            {
                card = scope.FindCard();
                result.Facts["driver"] = scope.Bind(card.Address, DriverOf(suite.Backend)).Driver;
            }
            scope.StartLoads(card);

            var samplesDir = Path.Combine(ctx.OutDir, "samples");
            Directory.CreateDirectory(samplesDir);
            for (int i = 0; i < threads; i++)
            {
                backends[i] = suite.Backend switch
                {
                    BackendKind.Timer => new TimerBackend(periodNs),
                    BackendKind.Valirq => new ValirqBackend(card!.Address, suite.Mode, plan.Program!.Value, plan.Quiesce, plan.Stimulus!, periodNs, suite.TimeoutMs,
                        plan.Init, suite.VectorMask),
                    BackendKind.Vfio => new VfioBackend(card!.Address, suite.Mode, plan.Program!.Value, plan.Stimulus!, periodNs, suite.TimeoutMs,
                        plan.Init, suite.Vectors),
                    _ => new UioBackend(card!.Address, plan.Program!.Value, plan.Stimulus!, periodNs, suite.TimeoutMs, plan.Init),
                };
                var raw = Path.Combine(samplesDir, threads == 1 ? $"{suite.Name}.bin.gz" : $"{suite.Name}-cpu{suite.Cpus[i]}.bin.gz");
                recorders[i] = new LatencyRecorder(backends[i].Stages, raw, suite.RawRing, rateHz: suite.RateHz);
                result.RawFiles.Add(Path.GetRelativePath(ctx.OutDir, raw));
            }

            (_backends, _recorders) = (backends, recorders);

            // ---- measure ----
            // Plan key irqPriority: the card's IRQ threads at that priority once the backends have requested the
            // IRQs (in their Open, on the measuring threads), before the window; put back in the finally below.
            Action? beforeWindow = suite.IrqPriority is { } irqPriority && card is not null
                ? () => irqThreads = Platform.IrqThreadPriority.Raise(CardIrqs(card, suite), irqPriority)
                : null;
            var m = Measure(suite, plan.Realtime, backends, recorders, ctx, beforeWindow, out var traceSession, out _traceMarks);
            result.Measurement = m.Info;
            result.Realtime = new SuiteRealtime(m.ThreadStates, suite.Priority, suite.Cpus, m.Problems);
            foreach (var (k, v) in backends[0].Facts) result.Facts[k] = v;
            if (card is not null)
            {
                var msi = IrqState.MsiIrqs(card.Address);
                var irq = suite.Mode == "msi" && msi.Count > 0 ? msi[0] : card.Irq;
                result.Irq = IrqState.Capture(irq);
                // The card's IRQs while its vectors are still allocated (MSI and MSI-X ones go with the device's close).
                _traceIrqs = [.. CardIrqs(card, suite)];
                if (suite.IrqPriority is null && result.Irq.Threads.FirstOrDefault(t => t.Policy == "SCHED_FIFO" && t.Priority < suite.Priority) is { } below)
                    result.Facts["irqThread"] = $"{below.Name} at SCHED_FIFO {below.Priority}, below the measuring thread's {suite.Priority}: on PREEMPT_RT the reader it " +
                        "wakes preempts it inside wake_up and blocks on the wait queue's lock, two extra switches per interrupt in what is measured; plan key irqPriority sets it for the window";
            }
            if (traceSession is not null)
            {
                using (traceSession)
                {
                    _traceLines = traceSession.ReadLines();
                    _traceOverrun = traceSession.Overrun();
                    _traceBufferKb = traceSession.BufferKb;
                }
                _traceTid = m.ThreadStates.Count > 0 ? m.ThreadStates[0].Tid : 0;
            }
            else if (suite.Trace is not null) _traceNote = $"not traced: {Tracing.TraceSession.Unavailable() ?? "the trace could not be started"}";
            if (m.Error is not null) throw m.Error;
            if (m.GaveUp)
                throw new ValidateException(ExitCodes.Failed, $"{GiveUpAfterLost} interrupts in a row were lost (timeout {suite.TimeoutMs} ms each): the card is not interrupting; check the IRQ program, the mode and the binding");
        }
        catch
        {
            _backends = [];
            _recorders = [];
            throw;
        }
        finally
        {
            // ---- report (and leave the machine as found): the load first, then the IRQ threads, then the devices ----
            scope.StopLoads();
            if (irqThreads is not null)
            {
                irqThreads.Restore();
                result.Facts["irqPriority"] = string.Join("; ", irqThreads.Words);
            }
            foreach (var b in backends) b?.Dispose();
            foreach (var r in recorders) r?.Dispose();
        }
    }

    // The progress sampler's own state (its thread alone touches it).
    private long _progressDone;
    private double _progressAt;

    /// <summary>
    /// Samples so far, the rate over the last interval, the running p99 and max of the last stage (the
    /// total) and the interrupts lost: the recorders' and backends' counters, read without a lock from the
    /// sampler's thread. A torn view (a histogram one sample ahead of its count) is harmless here.
    /// </summary>
    public SuiteProgress? Progress(SuitePlan suite, double elapsedS)
    {
        var recorders = _recorders;
        var backends = _backends;
        if (recorders.Length == 0) return null;
        // Loops, not Any(lambda): the lambdas would be compiled on the first sample, inside the window.
        foreach (var r in recorders) if (r is null) return null;
        foreach (var b in backends) if (b is null) return null;
        var (done, lost, max, p99) = Snapshot(recorders, backends);
        var dt = elapsedS - _progressAt;
        var rate = dt > 0 ? (done - _progressDone) / dt : 0; // the first: since the sampler started (set-up included)
        (_progressDone, _progressAt) = (done, elapsedS);
        var (_, planned, unit) = SuiteEstimate.Of(suite);
        return new SuiteProgress(suite.Name, done, planned, unit, elapsedS, rate, p99, max, lost);
    }

    /// <summary>Samples, lost interrupts, and the last stage's max and p99 over the recorders (p99 -1 when none yet).</summary>
    private static (long Done, long Lost, long Max, long P99) Snapshot(LatencyRecorder[] recorders, LatencyBackend[] backends)
    {
        long done = 0, lost = 0, max = 0, p99 = -1;
        foreach (var r in recorders)
        {
            var n = r.Count;
            done += n;
            if (n == 0) continue;
            var last = r.Stages.Count - 1;
            max = Math.Max(max, r.Max(last));
            p99 = Math.Max(p99, r.Histogram(last).GetValueAtPercentile(99));
        }
        foreach (var b in backends) lost += b.Counters.Lost;
        return (done, lost, max, p99);
    }

    public void Conclude(SuiteScope scope)
    {
        Summarize(scope.Suite, _backends, _recorders, scope.Result);
        ConcludeTrace(scope);
        LimitVerdict.Judge(scope.Suite, scope.Result);
        // Not a failure: the operator is told that this window's figures carry some of our own cost.
        if (scope.Result.Measurement?.Harness?.Disturbed is { } disturbed) scope.Result.Message = $"{scope.Result.Message}; {disturbed}";
        _backends = [];
        _recorders = [];
    }

    /// <summary>
    /// The stages from the kernel's trace and the worst events (plan key trace), from the trace read after
    /// the window and the raw samples written after it: every sample's raise and its "to user" stage.
    /// </summary>
    private void ConcludeTrace(SuiteScope scope)
    {
        var (suite, result, outDir) = (scope.Suite, scope.Result, scope.Context.OutDir);
        if (suite.Trace is not { } tp) return;
        var lines = _traceLines;
        _traceLines = null;
        if (lines is null)
        {
            result.Trace = new TraceResult { Notes = { _traceNote ?? "not traced" } };
            return;
        }
        var backend = result.Backend;
        var stages = _backends.Length > 0 ? _backends[0].Stages : [];
        var toUser = SideBySide.ToUserStages.TryGetValue(backend, out var name) ? stages.ToList().IndexOf(name) : stages.Count - 1;
        var samples = new List<Tracing.TracedSample>();
        if (result.RawFiles.Count > 0 && File.Exists(Path.Combine(outDir, result.RawFiles[0])))
            foreach (var (ts, values) in RawSampleWriter.Read(Path.Combine(outDir, result.RawFiles[0])))
                samples.Add(new Tracing.TracedSample(ts, values[Math.Max(0, toUser)], values));
        var events = Tracing.TraceParser.Parse(lines);
        var ctx = new Tracing.TraceContext(_traceIrqs, _traceTid, backend, stages, tp.Thresholds, tp.Keep, _traceMarks);
        var trace = Tracing.TraceAnalysis.Analyse(events, samples, ctx, lines, Path.Combine(outDir, "traces"), suite.Name, _traceBufferKb, _traceOverrun);
        for (int i = 0; i < trace.Worst.Count; i++)
            if (trace.Worst[i].File is { } f) trace.Worst[i] = trace.Worst[i] with { File = Path.GetRelativePath(outDir, f) };
        if (trace.Check is { Within: false } c)
            trace.Notes.Add($"valirq's stamps and the trace disagree beyond {Duration.Format(c.BoundNs)} at p95 or a tenth of it at p50 (hard IRQ p50 {Duration.Format(c.HardirqP50Ns)}, p95 {Duration.Format(c.HardirqP95Ns)}; thread p50 {Duration.Format(c.ThreadP50Ns)}, p95 {Duration.Format(c.ThreadP95Ns)})");
        result.Trace = trace;
    }

    private sealed record MeasureOutcome(MeasurementInfo Info, IReadOnlyList<ThreadSchedState> ThreadStates, IReadOnlyList<string> Problems, Exception? Error, bool GaveUp);

    /// <summary>The kernel driver a backend takes the card through.</summary>
    public static string DriverOf(BackendKind backend) => backend switch
    {
        BackendKind.Valirq => "valirq",
        BackendKind.Vfio => "vfio-pci",
        _ => "uio_pci_generic",
    };

    /// <summary>The IRQs the card interrupts on in the suite's mode: its MSI or MSI-X vectors, else its line.</summary>
    private static IReadOnlyList<int> CardIrqs(Devices.PciDevice card, SuitePlan suite)
    {
        var msi = IrqState.MsiIrqs(card.Address);
        return msi.Count > 0 && suite.Mode is "msi" or "msix" ? msi : [card.Irq];
    }

    private static MeasureOutcome Measure(SuitePlan suite, RealtimeSettings rt, LatencyBackend[] backends, LatencyRecorder[] recorders, RunContext ctx,
        Action? beforeWindow, out Tracing.TraceSession? trace, out Tracing.MarksOutcome? marksOutcome)
    {
        trace = null;
        marksOutcome = null;
        // The loop's side of the trace (markers, the freeze): rehearsed into /dev/null in the warm-up, pointed at the
        // trace once it runs. Traced suites measure on one thread.
        Tracing.TraceMarks? marks = null;
        if (suite.Trace is { } plannedTrace && backends.Length == 1)
        {
            marks = new Tracing.TraceMarks(backends[0].Stages, plannedTrace.Thresholds, plannedTrace.Marker, plannedTrace.Freeze, plannedTrace.FreezeAfterNs);
            if (marks.Active) marks.Rehearse();
            else
            {
                marks.Dispose();
                marks = null;
            }
        }
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
                    Warmup(backends[index], backends[index].Stages, suite.Warmup, marks);
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
                allocated[index] = MeasureLoop(backends[index], recorders[index], suite.Count, startNs, durationNs, out gaveUp[index], marks);
            }, maxStackSize: 1 << 20) { IsBackground = true, Name = $"measure-{suite.Name}-cpu{cpu}" };
            workers[i].Start();
        }

        ready.Wait();
        // Set-up that needs the backends open (the IRQ threads exist once the IRQs are requested).
        if (errors.All(e => e is null)) beforeWindow?.Invoke();
        // The code the loop runs is final before the window: whatever the warm-up made the JIT compile is done first.
        var jitSettled = WaitForJitQuiet(TimeSpan.FromSeconds(3));
        // The kernel's trace of the window (plan key trace): set up and started before it, stopped after it.
        if (suite.Trace is { } tp && errors.All(e => e is null) && Tracing.TraceSession.Unavailable() is null)
        {
            try
            {
                trace = Tracing.TraceSession.Start(tp.BufferKb, suite.Name);
                marks?.Target(trace.MarkerPath, trace.TracingOnPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ValidateException or InteropException)
            {
                ctx.Log($"{suite.Name}: not traced: {e.Message}");
                trace?.Dispose();
                trace = null;
            }
        }
        if (trace is null && marks is not null)
        {
            // Not traced: the loop writes nothing (the closure reads this variable after go).
            marks.Dispose();
            marks = null;
        }
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
        // Nothing else of ours beside the measuring threads: the process's other threads go to the housekeeping
        // CPUs until the window closes (set up, GC and no-GC region above are outside what it measures).
        var quiet = QuietWindow.Enter(states.Where(s => s is not null).Select(s => s.Tid), suite.Cpus);
        var started = DateTime.UtcNow;
        var sw = Stopwatch.StartNew();
        startNs = MonotonicClock.NowNs();
        go.Set();
        foreach (var w in workers) w.Join();
        sw.Stop();
        trace?.Stop();
        if (marks is not null)
        {
            marksOutcome = marks.Outcome();
            marks.Dispose();
        }
        var gcs = (GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
        var harness = quiet.Leave(jitSettled);
        var info = new MeasurementInfo(started, sw.Elapsed.TotalSeconds, n, allocated.Sum(), gcs.Item1, gcs.Item2, gcs.Item3,
            noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion, suite.Warmup, harness);
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
    private static void Warmup(LatencyBackend backend, IReadOnlyList<string> stages, int iterations, Tracing.TraceMarks? marks)
    {
        // The suites runner compiles without tiering (Validate.Suites.csproj): what the loop calls is compiled,
        // optimized, here, once; WaitForJitQuiet and the quiet window's JIT count check that it stays so.
        using (var scratch = new LatencyRecorder(stages, rawPath: null, rawRing: 1024))
        {
            MeasureLoop(backend, scratch, Math.Max(iterations, 1), MonotonicClock.NowNs(), long.MaxValue, out _, marks);
            // What the progress sampler will read in the window (the histogram's percentile among it): compiled now.
            _ = Snapshot([scratch], [backend]);
        }
        marks?.Restart();
        var c = backend.Counters;
        c.Stimuli = c.Events = c.Interrupts = c.Lost = c.Extra = c.Missed = c.Overruns = c.Errors = 0;
        c.LastErrno = 0;
    }

    /// <summary>Waits until the JIT has compiled nothing for two polls in a row (false when it is still busy at <paramref name="limit"/>).</summary>
    private static bool WaitForJitQuiet(TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        var last = JitInfo.GetCompiledMethodCount(currentThread: false);
        var quietPolls = 0;
        while (sw.Elapsed < limit)
        {
            Thread.Sleep(100);
            var now = JitInfo.GetCompiledMethodCount(currentThread: false);
            quietPolls = now == last ? quietPolls + 1 : 0;
            if (quietPolls >= 2) return true;
            last = now;
        }
        return false;
    }

    /// <summary>
    /// The measurement loop. Allocates nothing, logs nothing, takes no lock: backend.MeasureOne into a
    /// preallocated sample, the recorder's arithmetic, a traced suite's marker and freeze after the sample's
    /// stamps (<see cref="Tracing.TraceMarks"/>), the stop conditions. Returns the bytes this thread
    /// allocated during the loop (expected: 0; the results carry it and a test asserts it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long MeasureLoop(LatencyBackend backend, LatencyRecorder recorder, long count, long startNs, long durationNs, out bool gaveUp,
        Tracing.TraceMarks? marks = null)
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
                marks?.After(ref s);
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
        result.Stages.AddRange(StageStatistics.FromRecorders(live, stages));
        if (StageStatistics.IntervalP99(live, stages.Count - 1, result.Stages[^1].IntervalNs) is { } p99)
            result.Stages[^1] = result.Stages[^1] with { IntervalP99Ns = p99 };
        var last = stages.Count - 1;
        foreach (var w in live.SelectMany(r => r.Worst()).OrderByDescending(w => w.Stages[last]).Take(LatencyRecorder.WorstKept))
        {
            var v = new long[stages.Count];
            for (int k = 0; k < v.Length; k++) v[k] = w.Stages[k];
            result.Worst.Add(new WorstEvent(w.TimestampNs, v));
        }
    }
}
