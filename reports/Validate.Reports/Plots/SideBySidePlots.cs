using ScottPlot;
using Validate.Results;

namespace Validate.Reports.Plots;

/// <summary>
/// The side-by-side plot of one card under one load: the interrupt path to user space ("to user",
/// SideBySide.ToUserStages) of every suite of the comparison against
/// percentile, on the tail axis a lab reads (50, 90, 99, 99.9, 99.99; log of
/// 1/(1-p)), one line per interface (backend and mode), from the suites' stored percentiles.
/// </summary>
public static class SideBySidePlots
{
    /// <summary>The percentiles drawn, with the axis position of each: log10(1/(1-p)).</summary>
    public static readonly IReadOnlyList<(double Percentile, string Label)> Tail =
        [(50, "50"), (90, "90"), (99, "99"), (99.9, "99.9"), (99.99, "99.99")];

    public static double TailX(double percentile) => Math.Log10(1 / (1 - percentile / 100));

    /// <summary>One line per row that has a "to user" stage: its label and the latency (us) at each of <see cref="Tail"/>.</summary>
    public static List<(string Label, double[] Xs, double[] Ys)> Series(Comparison c) =>
        [.. c.Rows.Where(r => r.ToUser is not null).Select(r =>
        {
            var t = r.ToUser!;
            long[] ns = [t.P50Ns, t.P90Ns, t.P99Ns, t.P999Ns, t.P9999Ns];
            return (r.Interface, Tail.Select(p => TailX(p.Percentile)).ToArray(), ns.Select(v => v / 1000.0).ToArray());
        })];

    public static byte[] Percentiles(string title, Comparison c, int width = 900, int height = 400)
    {
        var plot = LatencyPlots.NewPlot(title, "percentile", "raise to user wake-up (us)");
        var color = 0;
        foreach (var (label, xs, ys) in Series(c))
        {
            var sc = plot.Add.Scatter(xs, ys);
            sc.MarkerSize = 5;
            sc.LineWidth = 1.5f;
            sc.Color = LatencyPlots.Palette[color++ % LatencyPlots.Palette.Length];
            sc.LegendText = label;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var (p, label) in Tail) ticks.AddMajor(TailX(p), label);
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.SetLimitsX(TailX(50) - 0.1, TailX(99.99) + 0.1);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
