using ScottPlot;
using Validate.Results;

namespace Validate.Reports.Plots;

/// <summary>The fault suites' drawing: each repetition's recovery as one bar, split into its parts.</summary>
public static class FaultPlots
{
    private static readonly (string Name, string Color)[] Phases =
    [
        ("exit (fault to quiesce done)", "#d62728"),
        ("harness: restart, rebind, reload", "#7f7f7f"),
        ("process start", "#ff7f0e"),
        ("setup", "#1f77b4"),
        ("first interrupt", "#2ca02c"),
    ];

    /// <summary>
    /// Horizontal stacked bars, one per repetition (top: the first), in ms from the fault: exit, what the
    /// harness does before the new driver runs (respawn, rebind, reload), process start, setup, first
    /// interrupt. A repetition that did not recover draws only the parts it reached.
    /// </summary>
    public static byte[] Recovery(string title, IReadOnlyList<FaultRepetition> reps, int width = 900, int height = 0)
    {
        var plot = LatencyPlots.NewPlot(title, "ms from the fault", "repetition");
        if (height == 0) height = Math.Clamp(120 + 14 * reps.Count, 280, 900);
        var bars = Phases.Select(_ => new List<Bar>()).ToArray();
        for (int i = 0; i < reps.Count; i++)
        {
            var p = reps[i].PartsNs;
            var exit = p.GetValueOrDefault("exit");
            var start = p.GetValueOrDefault("start");
            var setup = p.GetValueOrDefault("setup");
            var first = p.GetValueOrDefault("first-irq");
            var other = p.TryGetValue("total", out var total) ? Math.Max(0, total - exit - start - setup - first) : 0;
            double at = 0;
            var y = reps.Count - i;
            long[] parts = [exit, other, start, setup, first];
            for (int k = 0; k < parts.Length; k++)
            {
                if (parts[k] <= 0) continue;
                var ms = parts[k] / 1e6;
                bars[k].Add(new Bar { Position = y, ValueBase = at, Value = at + ms, Size = 0.8, FillColor = Color.FromHex(Phases[k].Color), LineWidth = 0 });
                at += ms;
            }
        }
        for (int k = 0; k < Phases.Length; k++)
        {
            if (bars[k].Count == 0) continue;
            var bp = plot.Add.Bars(bars[k]);
            bp.Horizontal = true;
            bp.LegendText = Phases[k].Name;
        }
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var every = Math.Max(1, reps.Count / 20);
        for (int i = 0; i < reps.Count; i += every) ticks.AddMajor(reps.Count - i, reps[i].Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Margins(left: 0, bottom: 0.02);
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }
}
