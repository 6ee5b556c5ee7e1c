using System.Globalization;
using System.Net;
using System.Text;
using Validate.Results;

namespace Validate.Reports.Html;

/// <summary>
/// One traced event's timeline as an inline SVG, drawn by hand (no plotting library: a report keeps a few of
/// these per traced suite and each must stay a few kilobytes): a row per CPU with a bar per segment of the
/// trace (task, idle, IRQ handler, softirq; coloured by kind, handlers drawn over the task they interrupted),
/// the stage boundaries as thin vertical lines labelled with the stage that starts there, an axis in
/// microseconds from the raise, and a tooltip (<c>&lt;title&gt;</c>) on every bar and line. Every text is
/// HTML-escaped; the markup is also well-formed XML (the tests parse it).
/// </summary>
public static class TraceTimeline
{
    public const int Width = 900;
    private const int Left = 58, Right = 14, RowHeight = 20, RowGap = 4, LabelRow = 12, MaxLabelRows = 6, AxisHeight = 30, LegendHeight = 16;

    /// <summary>Fill and text colour of each kind of segment.</summary>
    public static readonly IReadOnlyDictionary<string, (string Fill, string Text)> Colours = new Dictionary<string, (string, string)>
    {
        ["task"] = ("#4f81bd", "#fff"),
        ["idle"] = ("#e4e4e4", "#555"),
        ["irq"] = ("#d62728", "#fff"),
        ["softirq"] = ("#ff9f1c", "#222"),
    };

    /// <summary>Tasks in shades of the task colour, one per task name in the event (in the order they appear), so that two tasks side by side differ.</summary>
    private static readonly (string Fill, string Text)[] TaskShades = [("#4f81bd", "#fff"), ("#2c5d94", "#fff"), ("#86acd9", "#1a1a1a")];

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>The SVG of <paramref name="ev"/>'s timeline.</summary>
    public static string Svg(TracedEvent ev)
    {
        var segments = ev.Timeline;
        var cpus = segments.Select(s => s.Cpu).Concat(ev.Stages.Select(st => st.Cpu)).Distinct().Order().ToList();
        if (cpus.Count == 0) cpus.Add(0);
        var end = ev.Stages.Count > 0 ? ev.Stages.Max(st => st.StartNs + st.DurationNs) : ev.ToUserNs;
        var lo = Math.Min(0, segments.Count > 0 ? segments.Min(s => s.StartNs) : 0);
        var hi = Math.Max(Math.Max(end, ev.ToUserNs), segments.Count > 0 ? segments.Max(s => s.EndNs) : 0);
        if (hi <= lo) hi = lo + 1000;
        var plotWidth = Width - Left - Right;
        double X(long ns) => Left + (ns - lo) * (double)plotWidth / (hi - lo);

        // The boundaries: each stage's start, and where the last one ends (the measuring thread back in user space).
        var marks = ev.Stages.Select(st => (Ns: st.StartNs, Label: st.Name, Tip: $"{st.Name}: from {Duration.Format(st.StartNs)}, took {Duration.Format(st.DurationNs)} on CPU {st.Cpu}")).ToList();
        if (ev.Stages.Count > 0) marks.Add((end, "user", $"back in user space at {Duration.Format(end)}"));
        // Labels side by side when they fit, else on the next row down (a row each at worst: there are six boundaries).
        var rowEnds = new double[MaxLabelRows];
        Array.Fill(rowEnds, double.MinValue);
        var placed = new List<(double X, int Row, bool Before, string Label, string Tip)>();
        foreach (var (ns, label, tip) in marks)
        {
            var x = X(ns);
            var w = label.Length * 6.5 + 6;
            var before = x + w > Width - 2;
            var (from, to) = before ? (x - w, x) : (x, x + w);
            var row = Array.FindIndex(rowEnds, r => r < from);
            if (row < 0) row = Array.IndexOf(rowEnds, rowEnds.Min());
            rowEnds[row] = Math.Max(rowEnds[row], to);
            placed.Add((x, row, before, label, tip));
        }
        var labelRows = placed.Count == 0 ? 0 : placed.Max(p => p.Row) + 1;
        var top = 4 + labelRows * LabelRow;
        var rowsBottom = top + cpus.Count * (RowHeight + RowGap);
        var height = rowsBottom + AxisHeight + LegendHeight;

        var s = new StringBuilder(4096 + segments.Count * 200);
        var shades = new Dictionary<string, int>(StringComparer.Ordinal);
        s.Append($"<svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-size=\"10\" role=\"img\" aria-label=\"{E($"timeline of the event at {TraceSection.Seconds(ev.TimestampNs)}, {Duration.Format(ev.ToUserNs)} to user")}\">");
        // A row per CPU, its segments: tasks and idle first, the handlers over them.
        foreach (var (cpu, i) in cpus.Select((c, i) => (c, i)))
        {
            var y = top + i * (RowHeight + RowGap);
            s.Append($"<g class=\"cpu-row\" data-cpu=\"{cpu}\"><rect x=\"{Left}\" y=\"{y}\" width=\"{plotWidth}\" height=\"{RowHeight}\" fill=\"#f7f7f7\"/>");
            s.Append($"<text x=\"{Left - 6}\" y=\"{y + 14}\" text-anchor=\"end\" fill=\"#333\">CPU {cpu}</text>");
            var row = segments.Where(g => g.Cpu == cpu).OrderBy(g => g.Kind is "irq" or "softirq" ? 1 : 0).ToList();
            var handlers = row.Where(g => g.Kind is "irq" or "softirq").ToList();
            var labels = new StringBuilder();
            foreach (var seg in row)
            {
                var x0 = X(seg.StartNs);
                var w = Math.Max(1.0, X(seg.EndNs) - x0);
                var (fill, ink) = seg.Kind == "task" ? TaskShades[shades.TryGetValue(seg.What, out var k) ? k : shades[seg.What] = shades.Count % TaskShades.Length]
                    : Colours.TryGetValue(seg.Kind, out var c) ? c : ("#9e9e9e", "#fff");
                var tip = $"{seg.What} ({seg.Kind}) on CPU {seg.Cpu}: {Duration.Format(seg.EndNs - seg.StartNs)}, {TraceSection.Offset(seg.StartNs)} to {TraceSection.Offset(seg.EndNs)} from the raise";
                s.Append($"<rect class=\"seg {E(seg.Kind)}\" x=\"{F(x0)}\" y=\"{y}\" width=\"{F(w)}\" height=\"{RowHeight}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{E(tip)}</title></rect>");
                // The name inside the bar when it fits (about 6 px a character at this size), in the widest part no handler covers.
                var (from, to) = seg.Kind is "irq" or "softirq" ? (x0, x0 + w) : Uncovered(x0, x0 + w, handlers.Where(g => g.EndNs > seg.StartNs && g.StartNs < seg.EndNs).Select(g => (X(g.StartNs), X(g.EndNs))));
                if (to - from >= seg.What.Length * 6.2 + 6)
                    labels.Append($"<text x=\"{F(from + 3)}\" y=\"{y + 14}\" fill=\"{ink}\" pointer-events=\"none\">{E(seg.What)}</text>");
            }
            s.Append(labels);
            s.Append("</g>");
        }
        // The stage boundaries, each from its label down through the rows.
        foreach (var (x, row, before, label, tip) in placed)
        {
            var ly = 4 + row * LabelRow;
            s.Append($"<g class=\"stage\"><title>{E(tip)}</title><line x1=\"{F(x)}\" y1=\"{ly + 1}\" x2=\"{F(x)}\" y2=\"{rowsBottom - RowGap}\" stroke=\"#222\" stroke-width=\"1\" stroke-opacity=\"0.75\"/>");
            s.Append($"<text x=\"{F(before ? x - 2 : x + 2)}\" y=\"{ly + 9}\" text-anchor=\"{(before ? "end" : "start")}\" fill=\"#222\">{E(label)}</text></g>");
        }
        // The axis: microseconds from the raise, at a round step.
        var ay = rowsBottom;
        s.Append($"<g class=\"axis\"><line x1=\"{Left}\" y1=\"{ay}\" x2=\"{Left + plotWidth}\" y2=\"{ay}\" stroke=\"#666\"/>");
        var step = Step((hi - lo) / 1000.0 / 8);
        for (var k = Math.Ceiling(lo / 1000.0 / step); k * step * 1000 <= hi; k++)
        {
            var t = k * step + 0.0; // not -0
            var x = X((long)Math.Round(t * 1000));
            s.Append($"<line x1=\"{F(x)}\" y1=\"{ay}\" x2=\"{F(x)}\" y2=\"{ay + 4}\" stroke=\"#666\"/><text x=\"{F(x)}\" y=\"{ay + 14}\" text-anchor=\"middle\" fill=\"#444\">{t.ToString("0.###", CultureInfo.InvariantCulture)}</text>");
        }
        s.Append($"<text x=\"{Left + plotWidth / 2}\" y=\"{ay + 26}\" text-anchor=\"middle\" fill=\"#444\">us from the raise</text></g>");
        // The legend.
        var lx = (double)Left;
        var ly2 = ay + AxisHeight + 2;
        s.Append("<g class=\"legend\">");
        foreach (var (kind, name) in new[] { ("task", "task"), ("idle", "idle"), ("irq", "IRQ handler"), ("softirq", "softirq") })
        {
            s.Append($"<rect x=\"{F(lx)}\" y=\"{ly2}\" width=\"10\" height=\"10\" fill=\"{Colours[kind].Fill}\"/><text x=\"{F(lx + 14)}\" y=\"{ly2 + 9}\" fill=\"#444\">{name}</text>");
            lx += 24 + name.Length * 6;
        }
        s.Append($"<line x1=\"{F(lx + 5)}\" y1=\"{ly2 - 1}\" x2=\"{F(lx + 5)}\" y2=\"{ly2 + 11}\" stroke=\"#222\"/><text x=\"{F(lx + 14)}\" y=\"{ly2 + 9}\" fill=\"#444\">stage boundary</text>");
        s.Append("</g></svg>");
        return s.ToString();
    }

    /// <summary>The widest part of [from, to] that none of <paramref name="covers"/> overlaps.</summary>
    private static (double From, double To) Uncovered(double from, double to, IEnumerable<(double From, double To)> covers)
    {
        var best = (From: from, To: from);
        var at = from;
        foreach (var (a, b) in covers.OrderBy(c => c.From).Append((to, to)))
        {
            if (a > at && Math.Min(a, to) - at > best.To - best.From) best = (at, Math.Min(a, to));
            at = Math.Max(at, b);
            if (at >= to) break;
        }
        return best;
    }

    /// <summary>A round step (1, 2 or 5 times a power of ten) at or above <paramref name="rough"/>.</summary>
    private static double Step(double rough)
    {
        if (rough <= 0) return 1;
        var p = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        return new[] { 1.0, 2, 5, 10 }.Select(m => m * p).First(v => v >= rough);
    }
}
