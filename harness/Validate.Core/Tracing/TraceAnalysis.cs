using Validate.Analysis;
using Validate.Results;

namespace Validate.Tracing;

/// <summary>One measured sample as the backend recorded it: the raise (CLOCK_MONOTONIC), when user space had it, its own stages.</summary>
public readonly record struct TracedSample(long RaiseNs, long ToUserNs, long[] Stages);

/// <summary>What the analysis needs beside the trace: the card's IRQs, the measuring thread, the backend, the plan's thresholds.</summary>
public sealed record TraceContext(IReadOnlySet<int> Irqs, int MeasuringTid, string Backend, IReadOnlyList<string> NativeStages,
    IReadOnlyDictionary<string, long> Thresholds, int Keep, MarksOutcome? Marks = null);

/// <summary>
/// Splits every sample into the stages the kernel's trace shows, for any backend: raise -> irq_handler_entry
/// of the card's IRQ (raise-hardirq) -> the IRQ thread switched in (hardirq-thread) -> the measuring thread
/// woken, sched_waking (thread-wakeup) -> switched in (wakeup-running) -> back in user space with the
/// interrupt (running-user). Checks valirq's own stamps against the trace. Then the worst samples that
/// crossed a threshold of the plan: for each stage, what ran on its CPU (tasks, other IRQs, softirqs, with
/// durations), which of it was the cause, and whether a thread of the path waited behind something that
/// outranks it or was held off by something it outranks (the model: rtla timerlat's auto-analysis).
/// </summary>
public static class TraceAnalysis
{
    public static IReadOnlyList<string> StageNames => Plans.TracePlan.Stages;

    /// <summary>The text trace prints microseconds: an event up to this much before a stamp may be after it.</summary>
    private const long Tolerance = 1000;

    /// <summary>
    /// valirq's stamps must agree with the trace's within this at the 95th percentile, and within a tenth of it
    /// at the median. Its hard IRQ stamp is the handler's first statement, just after the irq_handler_entry
    /// tracepoint; its thread stamp the thread function's first, just after the switch-in. Measured in the
    /// virtual lab (TCG): medians 3 to 8 us, 99th percentiles 6 to 61 us, and now and then a few samples 1 to 2 ms
    /// apart: the emulated CPU descheduled by the host between the two clock reads, which real hardware does
    /// not do, and which over 200 samples can be 3 of them, past a 99th percentile (seen: thread p99 1.77 ms,
    /// the trace showing the IRQ thread running all that time). The 99th percentile and the maximum are
    /// reported beside the judged ones.
    /// </summary>
    public const long CheckBoundNs = 200_000;

    /// <summary>The path of one sample through the trace (indices into the events, -1 when not found).</summary>
    private readonly record struct Path(int Hardirq, int Thread, int Wakeup, int Running);

    public static TraceResult Analyse(IReadOnlyList<TraceEvent> events, IReadOnlyList<TracedSample> samples, TraceContext ctx,
        IReadOnlyList<string> lines, string? windowsDir, string suite, int bufferKb, long overrun)
    {
        var entries = Indices(events, e => e.Kind == TraceKind.IrqEntry && ctx.Irqs.Contains(e.Irq));
        var threadIns = Indices(events, e => e.Kind == TraceKind.Switch && IsIrqThread(e.NextComm, ctx.Irqs));
        var threadWakings = Indices(events, e => e.Kind == TraceKind.Waking && IsIrqThread(e.NextComm, ctx.Irqs));
        var wakings = Indices(events, e => e.Kind == TraceKind.Waking && e.NextPid == ctx.MeasuringTid);
        var runs = Indices(events, e => e.Kind == TraceKind.Switch && e.NextPid == ctx.MeasuringTid);

        // Our markers, by the raise they carry: a sample without one was not in the ring (see Untraced).
        var markers = new Dictionary<long, int>();
        for (int i = 0; i < events.Count; i++)
            if (events[i].Kind == TraceKind.Marker) markers[events[i].MarkRaiseNs] = i;
        var useMarkers = ctx.Marks is { Marker: true, Written: > 0 };
        var frozenAt = ctx.Marks is { Freeze: true, FrozenAtNs: >= 0 } f ? f.FrozenAtNs : long.MaxValue;
        var oldest = events.Count > 0 ? events[0].TsNs : long.MaxValue;
        var lags = new List<long>();

        var values = StageNames.ToDictionary(n => n, _ => new List<long>());
        var paths = new Path[samples.Count];
        long matched = 0, notAsleep = 0, afterFreeze = 0, beforeRing = 0, noMarker = 0;
        var checkHard = new List<long>();
        var checkThread = new List<long>();
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            var end = s.RaiseNs + s.ToUserNs + Tolerance;
            paths[i] = new Path(-1, -1, -1, -1);
            // Raised after the freeze: the ring recorded nothing more.
            if (s.RaiseNs > frozenAt) { afterFreeze++; continue; }
            var h = First(events, entries, s.RaiseNs - Tolerance, end);
            if (h < 0)
            {
                // Before the oldest event the ring kept (overwritten), or missed.
                if (s.RaiseNs < oldest) beforeRing++;
                continue;
            }
            if (useMarkers)
            {
                if (markers.TryGetValue(s.RaiseNs, out var mk)) lags.Add(events[mk].TsNs - (s.RaiseNs + s.ToUserNs));
                else noMarker++;
            }
            // The IRQ thread's start: its switch-in after the hard IRQ woke it. Not woken (it was still running,
            // or the handler is not threaded): no thread stage, rather than a later switch-in taken for this one.
            var tw = First(events, threadWakings, events[h].TsNs - Tolerance, end);
            var t = tw >= 0 ? First(events, threadIns, events[tw].TsNs, end) : -1;
            var from = events[t >= 0 ? t : h].TsNs;
            // The measuring thread's wake-up and switch-in; not woken: it had not gone to sleep when the interrupt came.
            var w = First(events, wakings, from, end);
            var r = w >= 0 ? First(events, runs, events[w].TsNs, end) : -1;
            paths[i] = new Path(h, t, w, r);
            matched++;
            if (w < 0) notAsleep++;
            var user = s.RaiseNs + s.ToUserNs;
            values["raise-hardirq"].Add(Math.Max(0, events[h].TsNs - s.RaiseNs));
            if (t >= 0) values["hardirq-thread"].Add(events[t].TsNs - events[h].TsNs);
            if (t >= 0 && w >= 0) values["thread-wakeup"].Add(events[w].TsNs - events[t].TsNs);
            if (w >= 0 && r >= 0) values["wakeup-running"].Add(events[r].TsNs - events[w].TsNs);
            if (r >= 0) values["running-user"].Add(Math.Max(0, user - events[r].TsNs));
            // valirq stamps the hard IRQ and the thread itself: raise + raise-hardirq, + hardirq-thread.
            if (ctx.Backend == "valirq" && s.Stages.Length >= 2)
            {
                var hard = s.RaiseNs + s.Stages[0];
                checkHard.Add(hard - events[h].TsNs);
                if (t >= 0) checkThread.Add(hard + s.Stages[1] - events[t].TsNs);
            }
        }
        var irqThreads = threadIns.Select(i => events[i].NextComm!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var result = new TraceResult
        {
            Irqs = [.. ctx.Irqs.Order()],
            IrqThreads = irqThreads,
            MeasuringTid = ctx.MeasuringTid,
            Samples = samples.Count,
            Matched = matched,
            Events = events.Count,
            Overrun = overrun,
            BufferKb = bufferKb,
            Stages = [.. StageNames.Where(n => values[n].Count > 0).Select(n => StageStatistics.Exact(n, [.. values[n]]))],
            Thresholds = new Dictionary<string, long>(ctx.Thresholds),
        };
        if (overrun > 0) result.Notes.Add($"the trace ring overflowed ({overrun} events overwritten): the oldest samples have no trace; give trace.bufferKb more");
        if (beforeRing > 0) result.Notes.Add($"{beforeRing} of {samples.Count} samples came before the oldest event the ring kept: not traced");
        if (ctx.Marks is { } marks)
        {
            Freeze(marks, samples.Count, afterFreeze, result);
            if (marks.Marker) Markers(marks, markers.Count, lags, noMarker, samples.Count, result);
        }
        var traceable = samples.Count - afterFreeze - beforeRing;
        if (matched < traceable)
            result.Notes.Add($"{traceable - matched} of {traceable} samples in the trace have no hard IRQ of the card in it");
        if (notAsleep > 0)
            result.Notes.Add($"{notAsleep} of {matched} samples: the measuring thread was not asleep when the interrupt came (no wake-up in the trace): no wake-up stages for them");
        if (checkHard.Count > 0) result.Check = Check(checkHard, checkThread);
        Worst(events, samples, paths, ctx, lines, windowsDir, suite, result);
        return result;
    }

    /// <summary>The freeze, as the loop did it, with the samples measured after it; a note when it failed.</summary>
    private static void Freeze(MarksOutcome m, long samples, long afterFreeze, TraceResult result)
    {
        if (!m.Freeze) return;
        if (m.CrossedSample < 0)
        {
            // Nothing crossed on the loop's own stages: never frozen, the ring holds the whole window.
            result.Freeze = new TraceFreeze(-1, 0, "", 0, m.FreezeAfterNs, -1, -1, 0, null);
            return;
        }
        var error = m.FreezeErrno != 0 ? $"{Interop.Errno.Name(m.FreezeErrno)} ({Interop.Errno.Text(m.FreezeErrno)})" : null;
        result.Freeze = new TraceFreeze(m.CrossedSample, m.CrossedRaiseNs, m.CrossedStage ?? "?", m.CrossedNs, m.FreezeAfterNs, m.FrozenAtNs, m.FrozenAfterSample,
            afterFreeze, error);
        if (error is not null)
            result.Notes.Add($"sample {m.CrossedSample} crossed ({m.CrossedStage} {Duration.Format(m.CrossedNs)}), but stopping the ring failed: {error}; it recorded to the window's end");
    }

    /// <summary>The markers: written against found, and their lag behind each sample's last stamp (the two clocks agree when it is small and never negative).</summary>
    private static void Markers(MarksOutcome m, long found, List<long> lags, long noMarker, long samples, TraceResult result)
    {
        var sorted = lags.Order().ToArray();
        var error = m.Failed > 0 ? $"{m.Failed} failed: {Interop.Errno.Name(m.Errno)} ({Interop.Errno.Text(m.Errno)})" : null;
        result.Markers = new TraceMarkers(m.Written, m.Failed, error, found,
            sorted.Length > 0 ? Percentile.NearestRank(sorted, 50) : 0, sorted.Length > 0 ? Percentile.NearestRank(sorted, 99) : 0);
        if (error is not null) result.Notes.Add($"trace markers: {error}");
        if (noMarker > 0) result.Notes.Add($"{noMarker} of {samples} samples in the trace have no marker in it: a marker the loop wrote was lost, or the trace's clock is not the harness's");
        // A marker is written after its sample's last stamp: before it, the trace's clock is not the harness's.
        if (sorted.Length > 0 && sorted[0] < -Tolerance)
            result.Notes.Add($"a marker came {Duration.Format(-sorted[0])} before its sample's last stamp: the trace's clock is not the harness's CLOCK_MONOTONIC; the stage split is not to be trusted");
    }

    /// <summary>"irq/20-uio_pci_generic" serves IRQ 20.</summary>
    public static bool IsIrqThread(string? comm, IReadOnlySet<int> irqs)
    {
        if (comm is null || !comm.StartsWith("irq/", StringComparison.Ordinal)) return false;
        var dash = comm.IndexOf('-', StringComparison.Ordinal);
        return dash > 4 && int.TryParse(comm.AsSpan(4, dash - 4), out var irq) && irqs.Contains(irq);
    }

    /// <summary>valirq minus the trace for each compared sample (hard IRQ, thread), judged against <see cref="CheckBoundNs"/>.</summary>
    public static TraceCheck Check(List<long> hard, List<long> thread)
    {
        static (long P50, long P95, long P99, long MaxAbs) Stats(List<long> d)
        {
            if (d.Count == 0) return (0, 0, 0, 0);
            var abs = d.Select(Math.Abs).Order().ToArray();
            var sorted = d.Order().ToArray();
            return (Percentile.NearestRank(sorted, 50), Percentile.NearestRank(abs, 95), Percentile.NearestRank(abs, 99), abs[^1]);
        }
        var h = Stats(hard);
        var t = Stats(thread);
        var within = h.P95 <= CheckBoundNs && t.P95 <= CheckBoundNs && Math.Abs(h.P50) <= CheckBoundNs / 10 && Math.Abs(t.P50) <= CheckBoundNs / 10;
        return new TraceCheck(hard.Count, h.P50, h.P99, h.MaxAbs, t.P50, t.P99, t.MaxAbs, CheckBoundNs, within, h.P95, t.P95);
    }

    private static List<int> Indices(IReadOnlyList<TraceEvent> events, Func<TraceEvent, bool> keep)
    {
        var list = new List<int>();
        for (int i = 0; i < events.Count; i++) if (keep(events[i])) list.Add(i);
        return list;
    }

    /// <summary>The first of <paramref name="index"/> (event indices, in time order) at or after <paramref name="from"/> and at or before <paramref name="to"/>, or -1.</summary>
    private static int First(IReadOnlyList<TraceEvent> events, List<int> index, long from, long to)
    {
        int lo = 0, hi = index.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (events[index[mid]].TsNs < from) lo = mid + 1; else hi = mid;
        }
        return lo < index.Count && events[index[lo]].TsNs <= to ? index[lo] : -1;
    }

    private static void Worst(IReadOnlyList<TraceEvent> events, IReadOnlyList<TracedSample> samples, Path[] paths, TraceContext ctx,
        IReadOnlyList<string> lines, string? windowsDir, string suite, TraceResult result)
    {
        if (ctx.Thresholds.Count == 0 || ctx.Keep <= 0) return;
        var crossing = new List<(int Index, string Crossed)>();
        var native = ctx.Thresholds.Keys.ToDictionary(stage => stage, stage => ctx.NativeStages.ToList().IndexOf(stage));
        for (int i = 0; i < samples.Count; i++)
        {
            if (paths[i].Running < 0) continue;
            var stages = StagesOf(events, samples[i], paths[i], ctx.Irqs);
            var over = new List<string>();
            foreach (var (stage, limit) in ctx.Thresholds)
            {
                long? v = stages.FirstOrDefault(s => s.Name == stage) is { Name: not null } st ? st.End - st.Start
                    : native[stage] is var k and >= 0 && k < samples[i].Stages.Length ? samples[i].Stages[k] : null;
                if (v > limit) over.Add($"{stage} {Duration.Format(v.Value)} > {Duration.Format(limit)}");
            }
            if (over.Count > 0) crossing.Add((i, string.Join(", ", over)));
        }
        result.Crossed = crossing.Count;
        var rank = 0;
        foreach (var (i, crossed) in crossing.OrderByDescending(c => samples[c.Index].ToUserNs).Take(ctx.Keep))
            result.Worst.Add(Explain(events, samples[i], paths[i], ctx.Irqs, crossed, lines, windowsDir, suite, ++rank));
    }

    private readonly record struct Span(string Name, long Start, long End, int Cpu, int OwnerPid, int OwnerPrio);

    /// <summary>A sample's stages as absolute spans, each on the CPU it happened on, with the thread that ends it (pid and priority; -1 for the hard IRQ).</summary>
    private static List<Span> StagesOf(IReadOnlyList<TraceEvent> events, TracedSample s, Path p, IReadOnlySet<int> irqs)
    {
        var list = new List<Span>();
        // Each stage starts where the one before ended: the trace's microseconds can put an event a little before
        // the stamp (or the event) before it, and a stage is then empty rather than negative, with no gap after it.
        var at = s.RaiseNs;
        void Add(string name, long endNs, int cpu, int pid, int prio)
        {
            var end = Math.Max(at, endNs);
            list.Add(new Span(name, at, end, cpu, pid, prio));
            at = end;
        }
        var h = events[p.Hardirq];
        Add("raise-hardirq", h.TsNs, h.Cpu, -1, -1);
        var from = h;
        if (p.Thread >= 0)
        {
            var t = events[p.Thread];
            Add("hardirq-thread", t.TsNs, t.Cpu, t.NextPid, t.NextPrio);
            from = t;
        }
        if (p.Wakeup >= 0)
        {
            var w = events[p.Wakeup];
            if (p.Thread >= 0) Add("thread-wakeup", w.TsNs, w.Cpu, from.NextPid, from.NextPrio);
            // The IRQ thread was not woken by this hard IRQ (still running from the one before, or not threaded):
            // no switch-in to split at, so one stage from the hard IRQ to the reader's wake-up, ended by its waker
            // when that is the card's IRQ thread (woken from a hard IRQ, the task in the trace is only the one it interrupted).
            else if (IsIrqThread(w.Comm, irqs)) Add("hardirq-wakeup", w.TsNs, w.Cpu, w.Pid, PrioOf(events, p.Wakeup, w.Pid));
            else Add("hardirq-wakeup", w.TsNs, w.Cpu, -1, -1);
            from = w;
        }
        var r = events[p.Running];
        if (p.Wakeup >= 0) Add("wakeup-running", r.TsNs, r.Cpu, r.NextPid, r.NextPrio);
        Add("running-user", s.RaiseNs + s.ToUserNs, r.Cpu, r.NextPid, r.NextPrio);
        return list;
    }

    /// <summary>The kernel priority of <paramref name="pid"/> at its last switch-in before event <paramref name="before"/>, or -1.</summary>
    private static int PrioOf(IReadOnlyList<TraceEvent> events, int before, int pid)
    {
        for (int i = before - 1; i >= 0; i--)
            if (events[i].Kind == TraceKind.Switch && events[i].NextPid == pid) return events[i].NextPrio;
        return -1;
    }

    private static TracedEvent Explain(IReadOnlyList<TraceEvent> events, TracedSample s, Path p, IReadOnlySet<int> irqs, string crossed, IReadOnlyList<string> lines,
        string? windowsDir, string suite, int rank)
    {
        var spans = StagesOf(events, s, p, irqs);
        var stages = new List<TracedStage>();
        foreach (var sp in spans)
        {
            var ran = Activity(events, sp.Cpu, sp.Start, sp.End);
            // Not the cause: the CPU idle, and the path's own threads (the one the stage ends with, the measuring one).
            var others = ran.Where(a => !(a.Kind == "task" && (a.Pid == 0 || a.Pid == sp.OwnerPid))).OrderByDescending(a => a.Ns).ToList();
            var duration = sp.End - sp.Start;
            string? cause = null;
            if (others.FirstOrDefault() is { } top && top.Ns * 10 >= duration && duration > 0)
                cause = $"{Describe(top)} ran {Duration.Format(top.Ns)} of it on CPU {sp.Cpu}";
            else if (ran.Where(a => a.Kind == "task" && a.Pid == 0).Sum(a => a.Ns) * 2 >= duration && duration > 0)
                cause = $"CPU {sp.Cpu} was idle for most of it: the time is the path itself (the device, the interrupt's delivery, the emulation, a wake-up from idle)";
            else if (ran.FirstOrDefault(a => a.Kind == "task" && a.Pid == sp.OwnerPid && sp.OwnerPid > 0) is { } own && own.Ns * 2 >= duration && duration > 0)
                cause = $"{own.What} itself ran {Duration.Format(own.Ns)} of it on CPU {sp.Cpu}: its own work ({(sp.Name == "running-user" ? "the way back to user space with the event" : "the handler, before it wakes the reader")}), or a section of it with preemption or interrupts off";
            string? priority = null;
            if (sp.OwnerPrio >= 0)
            {
                var above = others.Where(a => a.Kind == "task" && a.Prio >= 0 && a.Prio < sp.OwnerPrio && a.Ns > 0).ToList();
                var below = others.Where(a => a.Kind == "task" && a.Prio > sp.OwnerPrio && a.Ns * 10 >= duration && duration > 0).ToList();
                if (above.Count > 0)
                    priority = $"the thread it waited for (prio {sp.OwnerPrio}) was outranked by {string.Join(", ", above.Select(a => $"{a.What} (prio {a.Prio}, {Duration.Format(a.Ns)})"))}";
                else if (below.Count > 0)
                    priority = $"{string.Join(", ", below.Select(a => $"{a.What} (prio {a.Prio})"))} ran though the thread it waited for (prio {sp.OwnerPrio}) outranks it: the thread was not yet runnable there, or preemption was off";
            }
            stages.Add(new TracedStage(sp.Name, sp.Start - s.RaiseNs, duration, sp.Cpu, ran, cause, priority));
        }
        var longest = stages.MaxBy(st => st.DurationNs)!;
        var cause2 = longest.Cause ?? $"nothing else ran on CPU {longest.Cpu} in it";
        var words = $"to user {Duration.Format(s.ToUserNs)} ({crossed}); the longest stage, {longest.Name}, took {Duration.Format(longest.DurationNs)}: {cause2}"
                    + (longest.Priority is { } pr ? $"; {pr}" : "") + ".";
        var cpus = spans.Select(sp => sp.Cpu).Distinct().ToList();
        var margin = Math.Max(20_000, s.ToUserNs / 10);
        var timeline = Timeline(events, cpus, s.RaiseNs - margin, s.RaiseNs + s.ToUserNs + margin, s.RaiseNs);
        string? file = null;
        if (windowsDir is not null)
        {
            Directory.CreateDirectory(windowsDir);
            file = System.IO.Path.Combine(windowsDir, $"{suite}-worst-{rank}.txt");
            var from = s.RaiseNs - 10 * margin;
            var to = s.RaiseNs + s.ToUserNs + 10 * margin;
            File.WriteAllLines(file, events.Where(e => e.TsNs >= from && e.TsNs <= to).Select(e => lines[e.Line]));
        }
        return new TracedEvent(s.RaiseNs, s.ToUserNs, crossed, stages, cause2, words, file, timeline);
    }

    private static string Describe(TraceActivity a) => a.Kind switch
    {
        "irq" => $"IRQ {a.What}",
        "softirq" => $"softirq {a.What}",
        _ => $"{a.What} (pid {a.Pid}, prio {a.Prio})",
    };

    /// <summary>What ran on <paramref name="cpu"/> in [from, to]: tasks (by sched_switch), IRQ handlers and softirqs (entry to exit), with their time in it.</summary>
    public static List<TraceActivity> Activity(IReadOnlyList<TraceEvent> events, int cpu, long from, long to)
    {
        var tasks = new Dictionary<int, (string Comm, int Prio, long Ns)>();
        var handlers = new Dictionary<(string Kind, string What), long>();
        // Names seen for IRQs and softirq vectors, as the events are read.
        var names = new Dictionary<int, string>();
        var softNames = new Dictionary<int, string>();
        // The task on the CPU at 'from': the last switch before it.
        (int Pid, string Comm, int Prio) current = (-1, "?", -1);
        long at = from;
        var open = new Dictionary<(string, int), long>();
        foreach (var e in events)
        {
            if (e.Cpu != cpu) continue;
            if (e.TsNs < from)
            {
                if (e.Kind == TraceKind.Switch) current = (e.NextPid, e.NextComm ?? "?", e.NextPrio);
                if (e.Kind is TraceKind.IrqEntry or TraceKind.SoftirqEntry)
                {
                    open[(e.Kind == TraceKind.IrqEntry ? "irq" : "softirq", e.Irq)] = e.TsNs;
                    if (e.Kind == TraceKind.IrqEntry) names[e.Irq] = e.Name ?? "?";
                    else softNames[e.Irq] = e.Name ?? "?";
                }
                if (e.Kind is TraceKind.IrqExit or TraceKind.SoftirqExit) open.Remove((e.Kind == TraceKind.IrqExit ? "irq" : "softirq", e.Irq));
                continue;
            }
            if (e.TsNs > to) break;
            switch (e.Kind)
            {
                case TraceKind.Switch:
                    Add(current, e.TsNs - at);
                    current = (e.NextPid, e.NextComm ?? "?", e.NextPrio);
                    at = e.TsNs;
                    break;
                case TraceKind.IrqEntry or TraceKind.SoftirqEntry:
                    open[(e.Kind == TraceKind.IrqEntry ? "irq" : "softirq", e.Irq)] = e.TsNs;
                    if (e.Kind == TraceKind.IrqEntry) names[e.Irq] = e.Name ?? e.Irq.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    else softNames[e.Irq] = e.Name ?? "?";
                    break;
                case TraceKind.IrqExit or TraceKind.SoftirqExit:
                    var key = (e.Kind == TraceKind.IrqExit ? "irq" : "softirq", e.Irq);
                    if (open.Remove(key, out var start)) Handler(key, Math.Max(start, from), e.TsNs);
                    break;
            }
        }
        Add(current, to - at);
        foreach (var (key, start) in open) Handler(key, Math.Max(start, from), to);
        var list = tasks.Select(kv => new TraceActivity(cpu, "task", kv.Value.Comm, kv.Key, kv.Value.Prio, kv.Value.Ns)).ToList();
        list.AddRange(handlers.Select(kv => new TraceActivity(cpu, kv.Key.Kind, kv.Key.What, -1, -1, kv.Value)));
        return [.. list.Where(a => a.Ns > 0).OrderByDescending(a => a.Ns)];

        void Add((int Pid, string Comm, int Prio) t, long ns)
        {
            if (t.Pid < 0 || ns <= 0) return;
            tasks[t.Pid] = tasks.TryGetValue(t.Pid, out var x) ? (t.Comm, t.Prio, x.Ns + ns) : (t.Comm, t.Prio, ns);
        }
        void Handler((string Kind, int N) key, long start, long end)
        {
            var what = key.Kind == "irq"
                ? $"{key.N} ({(names.TryGetValue(key.N, out var n) ? n : "?")})"
                : softNames.TryGetValue(key.N, out var sn) ? sn : key.N.ToString(System.Globalization.CultureInfo.InvariantCulture);
            handlers[(key.Kind, what)] = handlers.GetValueOrDefault((key.Kind, what)) + Math.Max(0, end - start);
        }
    }

    /// <summary>The bars of a timeline: tasks and handlers on each CPU between from and to, as offsets from <paramref name="zero"/>.</summary>
    private static List<TimelineSegment> Timeline(IReadOnlyList<TraceEvent> events, IReadOnlyList<int> cpus, long from, long to, long zero)
    {
        var segments = new List<TimelineSegment>();
        foreach (var cpu in cpus)
        {
            (int Pid, string Comm) current = (-1, "?");
            long at = from;
            var open = new Dictionary<(TraceKind, int), (long Start, string What)>();
            foreach (var e in events)
            {
                if (e.Cpu != cpu) continue;
                if (e.TsNs < from)
                {
                    if (e.Kind == TraceKind.Switch) current = (e.NextPid, e.NextComm ?? "?");
                    continue;
                }
                if (e.TsNs > to) break;
                switch (e.Kind)
                {
                    case TraceKind.Switch:
                        if (current.Pid >= 0) segments.Add(new TimelineSegment(cpu, at - zero, e.TsNs - zero, current.Pid == 0 ? "idle" : "task", $"{current.Comm}-{current.Pid}"));
                        current = (e.NextPid, e.NextComm ?? "?");
                        at = e.TsNs;
                        break;
                    case TraceKind.IrqEntry:
                        open[(TraceKind.IrqEntry, e.Irq)] = (e.TsNs, $"irq {e.Irq} {e.Name}");
                        break;
                    case TraceKind.SoftirqEntry:
                        open[(TraceKind.SoftirqEntry, e.Irq)] = (e.TsNs, $"softirq {e.Name}");
                        break;
                    case TraceKind.IrqExit when open.Remove((TraceKind.IrqEntry, e.Irq), out var o):
                        segments.Add(new TimelineSegment(cpu, o.Start - zero, e.TsNs - zero, "irq", o.What));
                        break;
                    case TraceKind.SoftirqExit when open.Remove((TraceKind.SoftirqEntry, e.Irq), out var o):
                        segments.Add(new TimelineSegment(cpu, o.Start - zero, e.TsNs - zero, "softirq", o.What));
                        break;
                }
            }
            if (current.Pid >= 0) segments.Add(new TimelineSegment(cpu, at - zero, to - zero, current.Pid == 0 ? "idle" : "task", $"{current.Comm}-{current.Pid}"));
        }
        return segments;
    }
}
