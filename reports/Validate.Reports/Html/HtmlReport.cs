using System.Globalization;
using System.Net;
using System.Text;
using Validate.Reports.Plots;
using Validate.Results;

namespace Validate.Reports.Html;

/// <summary>
/// The page the lab reads in the morning: one self-contained HTML file per run (plots embedded as PNG,
/// CSS inline, no script, no external resource), readable in a browser and printable. Every string that
/// comes from a plan, a device or the machine goes through <see cref="E"/> (HTML-escaped).
/// </summary>
public static class HtmlReport
{
    public const string FileName = "report.html";

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string D(long ns) => E(Duration.Format(ns));
    private static string Badge(Verdict v) => $"<span class=\"v {v.ToString().ToLowerInvariant()}\">{v.ToString().ToUpperInvariant()}</span>";

    public static string Render(RunResults r, string? resultsPath = null, History.HistoryView? history = null)
    {
        var h = new StringBuilder(1 << 20);
        var env = r.Environment;
        var pass = r.Suites.Count(s => s.Verdict == Verdict.Pass);
        var marginal = r.Suites.Count(s => s.Verdict == Verdict.Marginal);
        var fail = r.Suites.Count(s => s.Verdict is Verdict.Fail or Verdict.Error);
        var skipped = r.Suites.Count(s => s.Verdict == Verdict.Skipped);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.Append($"<title>Validate: {E(r.Plan.Name)} on {E(env.Hostname)}: {r.Verdict.ToString().ToUpperInvariant()}</title>");
        h.Append("<style>").Append(Css).Append("</style></head><body>\n");

        h.Append($"<header><h1>{E(r.Plan.Name)} {Badge(r.Verdict)}</h1>");
        if (env.VirtualLab)
            h.Append($"<p class=\"banner lab\">Virtual lab (emulated): QEMU under software emulation, topology {E(env.VirtualLabTopology)}. Absolute latencies say nothing about hardware.</p>");
        foreach (var w in env.Warnings.Where(w => !w.StartsWith("virtual lab", StringComparison.Ordinal)))
            h.Append($"<p class=\"banner warn\">{E(w)}</p>");
        foreach (var p in r.Realtime.Problems)
            h.Append($"<p class=\"banner warn\">NOT REAL-TIME: {E(p)}</p>");
        h.Append("<table class=\"kv\">");
        Row(h, "machine", $"{env.Hostname} ({env.CpuModel}, {env.OnlineCpus} CPUs)");
        Row(h, "card", r.Plan.Card + (r.Plan.CardAddress is null ? "" : $" at {r.Plan.CardAddress}"));
        Row(h, "plan", $"{r.Plan.Name} ({r.Plan.Path})");
        Row(h, "kernel", $"{env.KernelRelease}, {env.PreemptionModel}");
        Row(h, "verdicts", $"{pass} pass, {marginal} marginal, {fail} fail, {skipped} skipped");
        Row(h, "run", $"{r.RunId}: {r.StartedUtc:yyyy-MM-dd HH:mm:ss} to {r.EndedUtc:HH:mm:ss} UTC ({(r.EndedUtc - r.StartedUtc).TotalMinutes:0.0} min)");
        h.Append("</table></header>\n");

        h.Append("<nav><h2>Suites</h2><table><tr><th>suite</th><th>verdict</th><th>backend</th><th>mode</th><th>load</th><th>total p99</th><th>total max</th><th>why</th></tr>");
        foreach (var s in r.Suites)
        {
            var total = s.Stages.LastOrDefault();
            h.Append($"<tr><td><a href=\"#{E(Anchor(s.Name))}\">{E(s.Name)}</a></td><td>{Badge(s.Verdict)}</td><td>{E(s.Backend)}</td><td>{E(s.Mode)}</td><td>{E(s.Load?.Profile)}</td>");
            h.Append($"<td class=\"n\">{(total is null ? "" : D(total.P99Ns))}</td><td class=\"n\">{(total is null ? "" : D(total.MaxNs))}</td><td>{E(s.Message)}</td></tr>");
        }
        h.Append("</table></nav>\n");

        if (history is not null) HistorySection(h, history);
        SideBySideSection(h, r);
        foreach (var s in r.Suites) Suite(h, s);

        h.Append("<section><h2>Environment</h2><table class=\"kv\">");
        Row(h, "kernel version", env.KernelVersion);
        Row(h, "preempt_rt", env.PreemptRt ? "yes" : "NO");
        Row(h, "command line", env.CommandLine);
        Row(h, "RT parameters", env.RtCommandLine.Count == 0 ? "none" : string.Join(" ", env.RtCommandLine.Select(kv => kv.Value.Length == 0 ? kv.Key : $"{kv.Key}={kv.Value}")));
        Row(h, "sched_rt_runtime_us / period", $"{env.SchedRtRuntimeUs} / {env.SchedRtPeriodUs}");
        Row(h, "governors", env.Governors.Count == 0 ? "none (no cpufreq)" : string.Join(", ", env.Governors.Select(kv => $"{kv.Key}: {kv.Value}")));
        Row(h, "idle states (cpu0)", env.IdleStates.Count == 0 ? "none (no cpuidle)" : string.Join("; ", env.IdleStates));
        Row(h, "memory locked", r.Realtime.MemoryLocked ? $"yes ({r.Realtime.LockedKb} kB)" : "NO");
        Row(h, "cpu_dma_latency held at 0", r.Realtime.DmaLatencyHeld ? "yes" : "NO");
        h.Append("</table></section>\n");
        h.Append($"<footer>Validate, results schema {r.Schema}{(resultsPath is null ? "" : $", from {E(resultsPath)}")}. Plots: ScottPlot, DejaVu Sans.</footer>");
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static void Suite(StringBuilder h, SuiteResult s)
    {
        h.Append($"<section class=\"suite\" id=\"{E(Anchor(s.Name))}\"><h2>{E(s.Name)} {Badge(s.Verdict)}</h2>");
        if (!string.IsNullOrEmpty(s.Message)) h.Append($"<p class=\"msg\">{E(s.Message)}</p>");
        h.Append("<table class=\"kv\">");
        Row(h, "backend / mode", $"{s.Backend} / {s.Mode}");
        foreach (var (k, v) in s.Facts) Row(h, k, v);
        if (s.Irq is { } irq)
            Row(h, "IRQ", $"{irq.Irq}, affinity {irq.Affinity} (effective {irq.EffectiveAffinity}); threads: {string.Join(", ", irq.Threads.Select(t => $"{t.Name} {t.Policy} {t.Priority}"))}; handlers: {string.Join(", ", irq.Handlers)}");
        if (s.Realtime is { } rt)
            Row(h, "measuring threads", string.Join("; ", rt.Threads.Select(t => $"tid {t.Tid} {t.Policy} {t.Priority} cpus {string.Join(',', t.Cpus)}")) + (rt.IsRealtime ? "" : $" NOT REAL-TIME: {string.Join("; ", rt.Problems)}"));
        if (s.Load is { } load)
            Row(h, "load", $"{load.Profile}: " + (load.Commands.Count == 0 ? "none" : string.Join("; ", load.Commands.Select(c => $"{c.Command} (pid {c.Pid}, exit {c.ExitStatus}{(c.ExitedEarly ? ", EXITED EARLY" : "")}{(c.LogTail is null ? "" : $": {c.LogTail}")})"))));
        if (s.Counts is { } c)
            Row(h, "counts", $"{c.Recorded} recorded of {c.Stimuli} stimuli; {c.Events} events, {c.Interrupts} interrupts; lost {c.Lost}, extra {c.Extra}, missed {c.Missed}, overruns {c.Overruns}, errors {c.Errors}{(c.LastError is null ? "" : $" ({c.LastError})")}; raw samples {c.RawWritten} written, {c.RawDropped} dropped");
        if (s.Measurement is { } m)
            Row(h, "measurement", $"{m.DurationS:0.0} s on {m.Threads} thread(s), warm-up {m.Warmup}; allocated {m.AllocatedBytes} bytes, collections {m.Gen0Collections}/{m.Gen1Collections}/{m.Gen2Collections}, no-GC region {(m.NoGcRegion ? "held" : "not held")}");
        h.Append("</table>");

        if (s.Stages.Count > 0)
        {
            h.Append("<table><tr><th>stage</th><th>n</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th><th>mean</th><th>negative</th></tr>");
            foreach (var st in s.Stages)
                h.Append($"<tr><td>{E(st.Name)}</td><td class=\"n\">{st.Count}</td><td class=\"n\">{D(st.MinNs)}</td><td class=\"n\">{D(st.P50Ns)}</td><td class=\"n\">{D(st.P90Ns)}</td><td class=\"n\">{D(st.P99Ns)}</td><td class=\"n\">{D(st.P999Ns)}</td><td class=\"n\">{D(st.P9999Ns)}</td><td class=\"n\">{D(st.MaxNs)}</td><td class=\"n\">{D((long)st.MeanNs)}</td><td class=\"n\">{st.Negative}</td></tr>");
            h.Append("</table>");
        }
        if (s.Limits.Count > 0)
        {
            h.Append("<table><tr><th>limit</th><th>value</th><th>limit</th><th>margin</th><th>verdict</th></tr>");
            foreach (var l in s.Limits)
            {
                var margin = l.ValueNs is { } v ? $"{(l.LimitNs - v) * 100.0 / l.LimitNs:0.0} %" : "";
                h.Append($"<tr><td>{E(l.Stage)} {E(l.Statistic)}</td><td class=\"n\">{(l.ValueNs is { } x ? D(x) : "none")}</td><td class=\"n\">{D(l.LimitNs)}</td><td class=\"n\">{margin}</td><td>{Badge(l.Verdict)}</td></tr>");
            }
            h.Append("</table>");
        }
        if (s.Fault is { } fault) FaultSection(h, s, fault);
        else if (s.Stages.Any(st => st.Count > 0))
        {
            Img(h, LatencyPlots.Histogram($"{s.Name}: histogram", s.Stages), $"{s.Name} latency histogram");
            Img(h, LatencyPlots.Percentiles($"{s.Name}: latency by percentile", s.Stages), $"{s.Name} latency by percentile");
            Img(h, LatencyPlots.OverTime($"{s.Name}: maximum (and total p99) per {Duration.Format(s.Stages[0].IntervalNs)}", s.Stages), $"{s.Name} latency over time");
        }
        if (s.Worst.Count > 0)
        {
            h.Append($"<table><tr><th>worst events (CLOCK_MONOTONIC)</th>{string.Concat(s.Stages.Select(st => $"<th>{E(st.Name)}</th>"))}</tr>");
            foreach (var w in s.Worst.Take(10))
                h.Append($"<tr><td class=\"n\">{(w.TimestampNs / 1e9).ToString("0.000000", CultureInfo.InvariantCulture)} s</td>{string.Concat(w.StagesNs.Select(v => $"<td class=\"n\">{D(v)}</td>"))}</tr>");
            h.Append("</table>");
        }
        if (s.Trace is { } trace) TraceSection.Render(h, trace);
        if (s.KernelFindings.Count > 0)
            h.Append("<p class=\"banner warn\">kernel log: " + string.Join("<br>", s.KernelFindings.Select(E)) + "</p>");
        if (s.KernelLog is { } klog)
            h.Append(klog.Count == 0
                ? "<p class=\"small\">kernel log during the suite: nothing new.</p>"
                : $"<details><summary>kernel log during the suite ({klog.Count} line(s))</summary><pre>{E(string.Join("\n", klog))}</pre></details>");
        else
            h.Append("<p class=\"small\">kernel log during the suite: not readable (needs root or CAP_SYSLOG).</p>");
        if (s.RawFiles.Count > 0)
            h.Append($"<p class=\"small\">raw samples: {E(string.Join(", ", s.RawFiles))}</p>");
        h.Append("</section>\n");
    }

    /// <summary>
    /// Side by side: per card and load where two suites or more measured it, one table (a row per
    /// interface: count, lost, total, then every stage any of the rows has, blank where a backend has no
    /// such stage) and one percentile plot of the totals, a line per interface.
    /// </summary>
    private static void SideBySideSection(StringBuilder h, RunResults r)
    {
        var comparisons = r.Comparisons;
        if (comparisons.Count == 0) return;
        h.Append("<section id=\"side-by-side\"><h2>Side by side</h2>");
        h.Append("<p class=\"small\">The same card through each interface under the same load. to user: raise to the user-space wake-up, comparable across backends (" + E(string.Join(", ", SideBySide.ToUserStages.Select(kv => $"{kv.Key} {kv.Value}"))) + "); total: each backend's own (its last stage ends where the backend's measurement ends, see the stages); stages at p50 / p99.</p>");
        foreach (var c in comparisons)
        {
            var title = $"{c.Card}{(c.CardId is null ? "" : $" ({c.CardId})")}, load {c.Load}";
            h.Append($"<h3 class=\"sbs\">{E(title)}</h3>");
            h.Append("<table class=\"sbs\"><tr><th>interface</th><th>suite</th><th>verdict</th><th>count</th><th>lost</th><th>extra</th><th>to user p50</th><th>p99</th><th>p99.9</th><th>max</th><th>total p50</th><th>p99</th><th>p99.9</th><th>max</th>");
            foreach (var st in c.Stages) h.Append($"<th>{E(st)} p50 / p99</th>");
            h.Append("</tr>");
            foreach (var row in c.Rows)
            {
                h.Append($"<tr><td>{E(row.Interface)}</td><td><a href=\"#{E(Anchor(row.Suite))}\">{E(row.Suite)}</a></td><td>{Badge(row.Verdict)}</td>");
                h.Append($"<td class=\"n\">{row.Count}</td><td class=\"n\">{row.Lost}</td><td class=\"n\">{row.Extra}</td>");
                h.Append(row.ToUser is { } u
                    ? $"<td class=\"n\">{D(u.P50Ns)}</td><td class=\"n\">{D(u.P99Ns)}</td><td class=\"n\">{D(u.P999Ns)}</td><td class=\"n\">{D(u.MaxNs)}</td>"
                    : "<td></td><td></td><td></td><td></td>");
                h.Append(row.Total is { } t
                    ? $"<td class=\"n\">{D(t.P50Ns)}</td><td class=\"n\">{D(t.P99Ns)}</td><td class=\"n\">{D(t.P999Ns)}</td><td class=\"n\">{D(t.MaxNs)}</td>"
                    : "<td></td><td></td><td></td><td></td>");
                foreach (var name in c.Stages)
                    h.Append(row.Stage(name) is { } st ? $"<td class=\"n\">{D(st.P50Ns)} / {D(st.P99Ns)}</td>" : "<td></td>");
                h.Append("</tr>");
            }
            h.Append("</table>");
            if (c.Rows.Any(x => x.ToUser is not null))
                Img(h, SideBySidePlots.Percentiles($"{title}: raise to user by percentile", c), $"side by side: {title}");
        }
        h.Append("</section>\n");
    }

    /// <summary>A fault suite: recovery per repetition, the accounting, the line, the neighbour, the card, a timeline.</summary>
    private static void FaultSection(StringBuilder h, SuiteResult s, FaultResult f)
    {
        h.Append("<table class=\"kv\">");
        Row(h, "fault", $"{f.Kind}, {f.Repetitions.Count} of {f.RepetitionsPlanned} repetitions, driver {f.Driver} ({f.Program}), {f.Mode}");
        if (f.Accounting is { } a)
        {
            Row(h, "interrupts", $"{a.Raised} raised, {a.KernelHardirqs} hard IRQs seen by valirq, {a.Handled} handled by the drivers; " +
                $"{a.LostExplained} lost to a dying driver (cleared by its quiesce), {a.CoalescedExplained} coalesced at the card while no driver ran, " +
                $"{a.Late} late (coalesced outside a fault), {a.LostUnexplained} lost unexplained, {a.Duplicated} handled twice, {a.EmptyReports} empty reports" +
                (a.ServedAgain > 0 ? $"; {a.ServedAgain} served again by the next opener (read before a revocation, the acknowledgement lost with the card)" : ""));
            Row(h, "raise to handler", $"p50 {Duration.Format(a.LatencyP50Ns)}, p99 {Duration.Format(a.LatencyP99Ns)}, max {Duration.Format(a.LatencyMaxNs)}");
            if (a.UnexplainedAtNs.Count > 0) Row(h, "unexplained losses at", string.Join(", ", a.UnexplainedAtNs.Select(Duration.Format)) + " into the suite");
        }
        if (ReleaseLine(f) is var (label, text) && text is not null)
            Row(h, label, text);
        if (f.Explained.Count > 0) Row(h, "explained", string.Join("; ", f.Explained));
        Row(h, "the line after each fault", f.LineProblems.Count > 0 ? string.Join("; ", f.LineProblems)
            : f.IsVfio ? "clean: bus mastering off, no INTx asserted on an enabled line" : "clean: card silent, INTx not disabled at the card, valirq off");
        if (f.LineInterrupts is { } li) Row(h, "line interrupts", $"{li} on the line for {f.LineRaises} raises of its cards");
        if (f.Neighbour is { } nb)
        {
            Row(h, "neighbour", $"{nb.Card} ({nb.Driver}): {nb.Raised} raised, {nb.Handled} handled, {nb.Lost} lost, {nb.Late} late, {nb.Duplicated} handled twice");
            Row(h, "neighbour outside the faults", $"{nb.Before.Handled} in {nb.Before.Seconds:0.###} s ({nb.Before.RateHz:0.#}/s); raise to handler p50 {Duration.Format(nb.Before.P50Ns)}, p99 {Duration.Format(nb.Before.P99Ns)}, max {Duration.Format(nb.Before.MaxNs)}");
            Row(h, "neighbour during the faults", $"{nb.During.Handled} in {nb.During.Seconds:0.###} s ({nb.During.RateHz:0.#}/s); raise to handler p50 {Duration.Format(nb.During.P50Ns)}, p99 {Duration.Format(nb.During.P99Ns)}, max {Duration.Format(nb.During.MaxNs)}");
        }
        Row(h, "valirq counters", f.ValirqCounters.Count == 0 ? "none" : string.Join(", ", f.ValirqCounters.Select(kv => $"{kv.Key} +{kv.Value}")));
        Row(h, "card after recovery", f.CardCheck);
        if (f.ProtocolErrors.Count > 0) Row(h, "protocol errors", string.Join("; ", f.ProtocolErrors.Take(5)));
        h.Append("</table>");
        if (f.Repetitions.Count > 0)
        {
            Img(h, FaultPlots.Recovery($"{s.Name}: recovery per repetition", f.Repetitions), $"{s.Name} recovery per repetition");
            h.Append("<details><summary>timeline of each repetition (ms from the fault)</summary><table><tr><th>#</th><th>release</th><th>events</th><th>problems</th></tr>");
            foreach (var r in f.Repetitions)
                h.Append($"<tr><td class=\"n\">{r.Index}</td><td>{E(r.Release ?? "")}</td><td>{E(string.Join(" \u2192 ", r.Events.Select(e => $"{e.Name} {(e.OffsetNs / 1e6).ToString("0.00", CultureInfo.InvariantCulture)}")))}</td><td>{E(string.Join("; ", r.Problems))}</td></tr>");
            h.Append("</table></details>");
        }
    }

    /// <summary>"policy quiesce: 9 quiesced, 0 reset, 1 neither (the card left interrupting)" and, when there are, "2 none (no steps run)", "1 unobserved".</summary>
    /// <summary>What the kernel's release did over a fault suite, labelled by whose release it was (valirq's, or vfio-pci's).</summary>
    public static (string Label, string? Text) ReleaseLine(FaultResult f) => f.IsVfio
        ? ("vfio-pci's release", $"{f.VfioReset}; after {f.VfioChecks} release(s): INTx left disabled {f.VfioIntxDisabled}, bus mastering left on {f.VfioBusMasterLeft}, INTx asserted and enabled {f.VfioIntxAsserted}")
        : ("valirq's release", f.Release is { } rel ? ReleaseText(f.ReleasePolicy, rel) : null);

    public static string ReleaseText(string? policy, ReleaseCounts r) =>
        $"policy {policy ?? "quiesce"}: {r.Quiesced} quiesced, {r.Reset} reset, {r.Neither} neither (the card left interrupting)" +
        (r.None > 0 ? $", {r.None} none (no steps run: none asked, or the opener was revoked; the card silent)" : "") + (r.Unobserved > 0 ? $", {r.Unobserved} unobserved" : "");

    private static void HistorySection(StringBuilder h, Validate.Reports.History.HistoryView v)
    {
        var nights = v.Series.Values.Select(p => p.Count).DefaultIfEmpty(0).Max();
        h.Append($"<section><h2>History ({nights} run(s) of this plan on this machine)</h2>");
        if (v.Regressions.Count == 0)
            h.Append(nights > Validate.Reports.History.HistoryStore.MinNights
                ? "<p>No regression: every stage's p99 is within the spread of the nights before.</p>"
                : $"<p>Regressions are judged from {Validate.Reports.History.HistoryStore.MinNights + 1} runs on; this is run {nights}.</p>");
        else
        {
            h.Append("<table><tr><th>regression</th><th>why</th></tr>");
            foreach (var g in v.Regressions) h.Append($"<tr><td>{E(g.Suite)} {E(g.Stage)} {Badge(Verdict.Fail)}</td><td>{E(g.Why)}</td></tr>");
            h.Append("</table>");
        }
        if (v.Changes.Count > 0)
        {
            h.Append("<p>Configuration changes (a suite is compared only with the nights of its own configuration: no regression is judged across a change):</p><ul>");
            foreach (var c in v.Changes)
                h.Append($"<li>{E(c.Suite)}, from run {E(c.RunId)} ({c.StartedUtc:yyyy-MM-dd HH:mm} UTC): {E(string.Join("; ", c.What))}</li>");
            h.Append("</ul>");
        }
        if (v.PreviousRunId is not null)
        {
            h.Append($"<p>What changed since the previous run ({E(v.PreviousRunId)}): {(v.EnvironmentChanges.Count == 0 ? "nothing in the environment." : "")}</p>");
            if (v.EnvironmentChanges.Count > 0) h.Append("<ul>" + string.Concat(v.EnvironmentChanges.Select(c => $"<li>{E(c)}</li>")) + "</ul>");
        }
        var totals = v.Series.Where(kv => kv.Key.Stage == "total" && kv.Value.Count > 1).Select(kv => (kv.Key.Suite, kv.Value)).ToList();
        if (totals.Count > 0) Img(h, LatencyPlots.Trend("total latency, run over run: p99 (line) and max (triangles)", totals), "trend of total latency");
        h.Append("</section>\n");
    }

    private static void Img(StringBuilder h, byte[] png, string alt) =>
        h.Append($"<img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">");

    private static void Row(StringBuilder h, string key, string? value) =>
        h.Append($"<tr><th>{E(key)}</th><td>{E(value)}</td></tr>");

    private static string Anchor(string name) => "suite-" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());

    private const string Css = """
        body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:1.5em;color:#222;max-width:1100px}
        h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em}
        table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
        td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}table.kv th{background:#f6f6f6;white-space:nowrap}
        .v{font-weight:bold;padding:.1em .45em;border-radius:.3em;color:#fff;font-size:.85em}
        .pass{background:#2e7d32}.marginal{background:#ef6c00}.fail,.error{background:#c62828}.skipped{background:#757575}
        .banner{padding:.5em .8em;border-radius:.3em;font-weight:bold}.lab{background:#e3f2fd;border:1px solid #1565c0}
        .warn{background:#fff3e0;border:1px solid #ef6c00}.msg{font-style:italic}.small{font-size:.8em;color:#555}
        img{display:block;max-width:100%;margin:.5em 0}section.suite{page-break-inside:avoid}
        footer{margin-top:2em;font-size:.8em;color:#666}pre{font-size:.75em;white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.4em}
        h3.trace{font-size:1.08em;margin:1.2em 0 .3em}h4.trace{font-size:1em;margin:1em 0 .3em}p.check.outside{color:#c62828;font-weight:bold}
        div.ev{margin:.6em 0 1.2em;padding-left:.7em;border-left:3px solid #ddd}table.ev tr.longest td{font-weight:bold}
        svg.tl{display:block;max-width:100%;height:auto;margin:.4em 0}
        @media print{body{margin:0;max-width:none}nav a{color:#222;text-decoration:none}}
        """;
}
