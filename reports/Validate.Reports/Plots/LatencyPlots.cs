using ScottPlot;
using Validate.Results;

namespace Validate.Reports.Plots;

/// <summary>
/// The report's plots, drawn with ScottPlot into PNG bytes with the shipped DejaVu Sans (no fontconfig
/// needed, the same pixels on every machine). Everything is drawn from results.json (the HdrHistogram
/// buckets, the distribution, the interval maxima), never from the raw samples, so the time to draw does
/// not grow with the number of samples.
/// </summary>
public static class LatencyPlots
{
    public const string FontName = "DejaVu Sans";
    private static readonly Lazy<bool> FontLoaded = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fonts", "DejaVuSans.ttf");
        if (!File.Exists(path)) throw new FileNotFoundException($"the report font is missing: {path}; rebuild reports/Validate.Reports", path);
        Fonts.AddFontFile(FontName, path);
        return true;
    });

    internal static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"),
    ];

    internal static Plot NewPlot(string title, string x, string y)
    {
        _ = FontLoaded.Value;
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    /// <summary>
    /// OSADL-style latency histogram: 1 us bins, log-scale counts, every stage overlaid.
    /// Built from the HdrHistogram buckets (3 significant digits) re-binned to 1 us.
    /// </summary>
    public static byte[] Histogram(string title, IReadOnlyList<StageResult> stages, int width = 900, int height = 380)
    {
        var plot = NewPlot(title, "latency (us), 1 us bins", "samples (log scale)");
        int color = 0;
        foreach (var st in stages)
        {
            if (st.Histogram is not { Count: > 0 } buckets) continue;
            var bins = new SortedDictionary<long, long>();
            foreach (var b in buckets)
            {
                if (b is not { Length: 2 }) continue; // a bucket is [valueNs, count]; a file with another shape draws what it can
                var us = b[0] / 1000;
                bins[us] = bins.GetValueOrDefault(us) + b[1];
            }
            // Empty bins drop to the baseline (0 samples) so that a gap is not drawn as a plateau.
            var xs = new List<double>();
            var ys = new List<double>();
            long? previous = null;
            foreach (var (us, count) in bins)
            {
                if (previous is { } p && us > p + 1)
                {
                    xs.Add(p + 1); ys.Add(0);
                    xs.Add(us); ys.Add(0);
                }
                xs.Add(us);
                ys.Add(Math.Log10(count) + 1); // +1: a single sample stays visible above the baseline
                previous = us;
            }
            xs.Add(previous!.Value + 1);
            ys.Add(0);
            var sc = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            sc.ConnectStyle = ConnectStyle.StepHorizontal;
            sc.MarkerSize = 0;
            sc.LineWidth = 1.5f;
            sc.Color = Palette[color++ % Palette.Length];
            sc.LegendText = st.Name;
        }
        LogAxis(plot.Axes.Left, offset: 1);
        plot.Axes.SetLimitsY(0, plot.Axes.GetLimits().Top + 0.3);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Latency against percentile on 1/(1-p) (log), every stage overlaid: the tail at a glance.</summary>
    public static byte[] Percentiles(string title, IReadOnlyList<StageResult> stages, int width = 900, int height = 380)
    {
        var plot = NewPlot(title, "percentile", "latency (us)");
        int color = 0;
        foreach (var st in stages)
        {
            var pts = st.Distribution.Where(p => p.Percentile < 100).ToList();
            if (pts.Count == 0) continue;
            var xs = pts.Select(p => Math.Log10(1 / (1 - p.Percentile / 100))).ToArray();
            var ys = pts.Select(p => p.ValueNs / 1000.0).ToArray();
            var sc = plot.Add.Scatter(xs, ys);
            sc.MarkerSize = 3;
            sc.LineWidth = 1.5f;
            sc.Color = Palette[color++ % Palette.Length];
            sc.LegendText = st.Name;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (p, label) in new[] { (0.0, "0"), (1.0, "90"), (2.0, "99"), (3.0, "99.9"), (4.0, "99.99"), (5.0, "99.999"), (6.0, "99.9999") })
            ticks.AddMajor(p, label);
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Latency over the run: the maximum of each interval per stage, and the total's p99 per interval (dashed).</summary>
    public static byte[] OverTime(string title, IReadOnlyList<StageResult> stages, int width = 900, int height = 300)
    {
        var plot = NewPlot(title, "time since the first sample (s)", "latency per interval (us)");
        int color = 0;
        foreach (var st in stages)
        {
            if (st.IntervalMaxNs.Length == 0) continue;
            var xs = Enumerable.Range(0, st.IntervalMaxNs.Length).Select(i => i * st.IntervalNs / 1e9).ToArray();
            var ys = st.IntervalMaxNs.Select(v => v / 1000.0).ToArray();
            var c = Palette[color++ % Palette.Length];
            var sc = plot.Add.Scatter(xs, ys);
            sc.MarkerSize = 3;
            sc.Color = c;
            sc.LegendText = $"{st.Name} max";
            if (st.IntervalP99Ns is { Length: > 0 } p99)
            {
                var p = plot.Add.Scatter(Enumerable.Range(0, p99.Length).Select(i => i * st.IntervalNs / 1e9).ToArray(), p99.Select(v => v / 1000.0).ToArray());
                p.Color = c;
                p.LinePattern = LinePattern.Dashed;
                p.MarkerSize = 0;
                p.LegendText = $"{st.Name} p99";
            }
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Night over night: p99 (solid) and max (markers) of each suite's total, oldest run first.</summary>
    public static byte[] Trend(string title, IReadOnlyList<(string Suite, IReadOnlyList<History.StagePoint> Points)> series, int width = 900, int height = 360)
    {
        var plot = NewPlot(title, "run (oldest to newest)", "latency (us)");
        int color = 0;
        bool changeLabelled = false;
        foreach (var (suite, points) in series)
        {
            var xs = Enumerable.Range(1, points.Count).Select(i => (double)i).ToArray();
            var c = Palette[color++ % Palette.Length];
            // One line per configuration: a night measured with other parameters is not joined to the nights before
            // it; a dashed vertical line marks where the configuration changed.
            int start = 0;
            for (int i = 1; i <= points.Count; i++)
            {
                if (i < points.Count && points[i].ConfigHash == points[i - 1].ConfigHash) continue;
                var p99 = plot.Add.Scatter(xs[start..i], points.Skip(start).Take(i - start).Select(p => p.P99Ns / 1000.0).ToArray());
                p99.Color = c;
                if (start == 0) p99.LegendText = $"{suite} p99";
                if (i < points.Count && points[i - 1].ConfigHash is not null && points[i].ConfigHash is not null)
                {
                    var line = plot.Add.VerticalLine(i + 0.5, 1, c);
                    line.LinePattern = LinePattern.Dashed;
                    if (!changeLabelled) line.LegendText = "configuration changed";
                    changeLabelled = true;
                }
                start = i;
            }
            var max = plot.Add.Scatter(xs, points.Select(p => p.MaxNs / 1000.0).ToArray());
            max.Color = c;
            max.LineWidth = 0;
            max.MarkerSize = 6;
            max.MarkerShape = MarkerShape.OpenTriangleUp;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static void LogAxis(IAxis axis, double offset)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => y < offset ? "0" : Math.Pow(10, y - offset).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
