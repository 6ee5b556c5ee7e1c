using System.Globalization;
using System.Net;
using System.Text;
using Validate.Results;

namespace Validate.Reports.Html;

/// <summary>
/// "Where the time went (kernel trace)" under a traced suite (<see cref="TraceResult"/>): what the trace
/// matched, the trace's stages, valirq's own stamps against the trace in words, the notes, and the worst
/// events (their sentence, their stages with what ran there, a timeline, their raw trace window); and the
/// same in two lines for the console's verdict table (<see cref="SummaryLines"/>). Every text is HTML-escaped.
/// </summary>
public static class TraceSection
{
    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string D(long ns) => E(Duration.Format(ns));

    /// <summary>How many of an event's activities a stage row names.</summary>
    public const int TopActivities = 3;

    internal static void Render(StringBuilder h, TraceResult t)
    {
        h.Append("<h3 class=\"trace\">Where the time went (kernel trace)</h3>");
        if (t.Stages.Count == 0 && t.Samples == 0)
        {
            // Asked for, not done: the reason is the note ("not traced: ...").
            h.Append($"<p class=\"banner warn\">{E(t.Notes.Count > 0 ? string.Join("; ", t.Notes) : "not traced")}</p>");
            return;
        }
        h.Append($"<p>{E(MatchedLine(t))}</p>");
        if (FreezeLine(t) is { } freeze) h.Append($"<p class=\"freeze\">{E(freeze)}</p>");
        if (t.Stages.Count > 0)
        {
            h.Append("<table class=\"trace\"><tr><th>trace stage</th><th>n</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr>");
            foreach (var st in t.Stages)
                h.Append($"<tr><td>{E(st.Name)}</td><td class=\"n\">{st.Count}</td><td class=\"n\">{D(st.P50Ns)}</td><td class=\"n\">{D(st.P99Ns)}</td><td class=\"n\">{D(st.P999Ns)}</td><td class=\"n\">{D(st.MaxNs)}</td></tr>");
            h.Append("</table>");
        }
        if (t.Check is { } c)
            h.Append($"<p class=\"check {(c.Within ? "within" : "outside")}\">{E(CheckWords(c))} <span class=\"small\">(valirq's stamp minus the trace's: p50 signed, p99 and max of its size; the text trace has {E(Duration.Format(t.ResolutionNs))} resolution)</span></p>");
        if (t.Notes.Count > 0)
            h.Append("<p class=\"banner warn\">" + string.Join("<br>", t.Notes.Select(E)) + "</p>");
        WorstEvents(h, t);
    }

    /// <summary>"The trace matched 2000 of 2000 samples (34250 events, none overwritten); IRQ 28, IRQ thread irq/28-valirq-0; trace clock mono (CLOCK_MONOTONIC, the harness's clock), 1.0 us resolution."</summary>
    public static string MatchedLine(TraceResult t)
    {
        var overrun = t.Overrun > 0 ? $"{t.Overrun} overwritten: the ring ({t.BufferKb} kB) was too small" : "none overwritten";
        var irqs = t.Irqs.Count == 0 ? "" : $"; IRQ {string.Join(", ", t.Irqs)}";
        var threads = t.IrqThreads.Count switch
        {
            0 => ", no IRQ thread seen",
            1 => $", IRQ thread {t.IrqThreads[0]}",
            _ => $", IRQ threads {string.Join(", ", t.IrqThreads)}",
        };
        var clock = t.Clock == "mono" ? "mono (CLOCK_MONOTONIC, the harness's clock)" : t.Clock;
        var markers = t.Markers is { } m
            ? $"; {m.Found} of the loop's {m.Written} markers in the trace, each {Duration.Format(Math.Max(0, m.LagP50Ns))} after its sample's last stamp at p50, {Duration.Format(Math.Max(0, m.LagP99Ns))} at p99"
            : "";
        return $"The trace matched {t.Matched} of {t.Samples} samples ({t.Events} events, {overrun}){irqs}{threads}; trace clock {clock}, {Duration.Format(t.ResolutionNs)} resolution{markers}.";
    }

    /// <summary>
    /// "The ring was frozen 2.31 ms after the raise of sample 812, the first to cross (total 2.10 ms > 2.00 ms), after
    /// sample 812: 1188 later samples were measured untraced." Null when the plan did not ask for a freeze.
    /// </summary>
    public static string? FreezeLine(TraceResult t)
    {
        if (t.Freeze is not { } f) return null;
        if (f.Sample < 0) return "Freeze asked: no sample crossed a threshold of the loop's own stages, so the ring was never stopped and holds the whole window.";
        var crossed = $"sample {f.Sample}, the first to cross ({f.Stage} {Duration.Format(f.ValueNs)} > {Duration.Format(t.Thresholds.GetValueOrDefault(f.Stage))})";
        if (f.Error is not null) return $"Freeze failed at {crossed}: {f.Error}; the ring recorded to the window's end.";
        if (f.FrozenAtNs < 0) return $"Freeze due {Duration.Format(f.AfterNs)} after {crossed}, but the window ended first: the ring holds it to its end.";
        return $"The ring was frozen {Duration.Format(Math.Max(0, f.FrozenAtNs - f.RaiseNs))} after the raise of {crossed}, after sample {f.FrozenAfterSample}: " +
               $"{f.Untraced} later samples were measured untraced.";
    }

    /// <summary>"valirq's own stamps against the trace over 2000 samples: hard IRQ p50 +2.6 us, p99 6.4 us, max 92.0 us; IRQ thread ...; within the 50.0 us bound."</summary>
    public static string CheckWords(TraceCheck c) =>
        $"valirq's own stamps against the trace over {c.Compared} samples: hard IRQ p50 {Offset(c.HardirqP50Ns)}, p95 {Duration.Format(c.HardirqP95Ns)}, p99 {Duration.Format(c.HardirqP99Ns)}, max {Duration.Format(c.HardirqMaxAbsNs)}; " +
        $"IRQ thread p50 {Offset(c.ThreadP50Ns)}, p95 {Duration.Format(c.ThreadP95Ns)}, p99 {Duration.Format(c.ThreadP99Ns)}, max {Duration.Format(c.ThreadMaxAbsNs)}; " +
        (c.Within ? $"within the {Duration.Format(c.BoundNs)} bound." : $"OUTSIDE the {Duration.Format(c.BoundNs)} bound.") + $" (bound: p95 {Duration.Format(c.BoundNs)}, median {Duration.Format(c.BoundNs / 10)})";

    /// <summary>"+2.6 us", "-800 ns", "+0 ns".</summary>
    public static string Offset(long ns) => (ns < 0 ? "-" : "+") + Duration.Format(Math.Abs(ns));

    /// <summary>A CLOCK_MONOTONIC stamp in seconds, "58.931276 s".</summary>
    public static string Seconds(long ns) => (ns / 1e9).ToString("0.000000", CultureInfo.InvariantCulture) + " s";

    /// <summary>"total > 500.0 us, running-user > 200.0 us".</summary>
    public static string ThresholdWords(IReadOnlyDictionary<string, long> thresholds) =>
        string.Join(", ", thresholds.Select(kv => $"{kv.Key} > {Duration.Format(kv.Value)}"));

    /// <summary>The first <paramref name="top"/> of what ran, longest first: "stress-ng-cpu 500.0 us, IRQ 236 (local_timer) 50.0 us, +2 more".</summary>
    public static string Activities(IReadOnlyList<TraceActivity> ran, int stageCpu, int top = TopActivities)
    {
        var shown = ran.OrderByDescending(a => a.Ns).Take(top).Select(a => Name(a) + (a.Cpu == stageCpu ? "" : $" on CPU {a.Cpu}") + $" {Duration.Format(a.Ns)}");
        return string.Join(", ", shown) + (ran.Count > top ? $", +{ran.Count - top} more" : "");
    }

    private static string Name(TraceActivity a) => a.Kind switch
    {
        "irq" => $"IRQ {a.What}",
        "softirq" => $"softirq {a.What}",
        _ => a.What,
    };

    /// <summary>Every activity with its pid and priority, for the cell's tooltip.</summary>
    private static string ActivitiesInFull(IReadOnlyList<TraceActivity> ran) =>
        string.Join("; ", ran.OrderByDescending(a => a.Ns).Select(a => a.Kind == "task"
            ? $"{a.What} (pid {a.Pid}, prio {a.Prio}) on CPU {a.Cpu}: {Duration.Format(a.Ns)}"
            : $"{Name(a)} on CPU {a.Cpu}: {Duration.Format(a.Ns)}"));

    private static void WorstEvents(StringBuilder h, TraceResult t)
    {
        if (t.Thresholds.Count == 0) return;
        var thresholds = ThresholdWords(t.Thresholds);
        if (t.Worst.Count == 0)
        {
            h.Append(t.Crossed == 0 ? $"<p>Worst events: no sample crossed a threshold ({E(thresholds)}).</p>"
                : $"<p>Worst events: {t.Crossed} crossed a threshold ({E(thresholds)}); none analysed.</p>");
            return;
        }
        h.Append($"<h4 class=\"trace\">Worst events ({t.Crossed} crossed a threshold: {E(thresholds)}; the {t.Worst.Count} worst analysed)</h4>");
        foreach (var (ev, i) in t.Worst.Select((e, i) => (e, i + 1)))
        {
            h.Append($"<div class=\"ev\"><p><b>{i}.</b> At {E(Seconds(ev.TimestampNs))} (CLOCK_MONOTONIC): {E(ev.Words)}</p>");
            if (ev.Stages.Count > 0)
            {
                var longest = ev.Stages.MaxBy(st => st.DurationNs);
                h.Append("<table class=\"ev\"><tr><th>stage</th><th>from</th><th>took</th><th>CPU</th><th>what ran there</th><th>cause</th><th>priority</th></tr>");
                foreach (var st in ev.Stages)
                    h.Append($"<tr{(ReferenceEquals(st, longest) ? " class=\"longest\"" : "")}><td>{E(st.Name)}</td><td class=\"n\">{D(st.StartNs)}</td><td class=\"n\">{D(st.DurationNs)}</td><td class=\"n\">{st.Cpu}</td>" +
                             $"<td title=\"{E(ActivitiesInFull(st.Ran))}\">{E(Activities(st.Ran, st.Cpu))}</td><td>{E(st.Cause)}</td><td>{E(st.Priority)}</td></tr>");
                h.Append("</table>");
            }
            if (ev.Timeline.Count > 0) h.Append(TraceTimeline.Svg(ev));
            if (ev.File is not null) h.Append($"<p class=\"small\">raw trace window: {E(ev.File)} (in the run folder)</p>");
            h.Append("</div>");
        }
    }

    /// <summary>
    /// At most two lines for the console's verdict table, under the suite: the trace's stages at p50 / p99 and
    /// how many samples it matched; the worst event in words. An untraced suite: its note ("not traced: ...").
    /// </summary>
    public static IReadOnlyList<string> SummaryLines(TraceResult t)
    {
        if (t.Stages.Count == 0)
        {
            var note = t.Notes.Count > 0 ? string.Join("; ", t.Notes) : "not traced";
            return [note.StartsWith("not traced", StringComparison.Ordinal) ? note : $"trace: {note}"];
        }
        var stages = string.Join(", ", t.Stages.Select(st => $"{st.Name} p50 {Duration.Format(st.P50Ns)} / p99 {Duration.Format(st.P99Ns)}"));
        var first = $"trace: {stages} ({t.Matched}/{t.Samples} matched)"
                    + (t.Check is { Within: false } c ? $"; valirq's stamps OUTSIDE the {Duration.Format(c.BoundNs)} bound" : "")
                    + (t.Overrun > 0 ? $"; {t.Overrun} events overwritten" : "")
                    + (t.Freeze is { Sample: >= 0, FrozenAtNs: >= 0 } f ? $"; frozen after sample {f.FrozenAfterSample} ({f.Untraced} untraced after)" : "");
        if (t.Worst.FirstOrDefault() is { } worst) return [first, $"worst: {worst.Words}"];
        if (t.Thresholds.Count > 0)
            return [first, t.Crossed == 0 ? $"worst: none crossed {ThresholdWords(t.Thresholds)}" : $"worst: {t.Crossed} crossed {ThresholdWords(t.Thresholds)}, none analysed"];
        return [first];
    }
}
