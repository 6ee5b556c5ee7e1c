using System.Globalization;
using MathNet.Numerics.Statistics;

namespace Validate.Analysis;

/// <summary>
/// Night over night: tonight's p99 of a stage against the nights before. A regression when tonight is
/// above the earlier nights' mean by more than 3 standard deviations (MathNet) and by more than 10 %, so
/// that neither noise on a quiet series nor a tiny shift on a wide one is flagged. Needs
/// <see cref="MinNights"/> earlier nights. The history store (reports/) feeds it its series.
/// </summary>
public static class RegressionVerdict
{
    /// <summary>Nights of history needed before a regression is judged.</summary>
    public const int MinNights = 3;

    /// <summary>Why tonight (the last value) is a regression, or null. Values in ns, oldest first.</summary>
    public static string? Judge(IReadOnlyList<long> p99s)
    {
        if (p99s.Count < MinNights + 1) return null;
        var before = p99s.Take(p99s.Count - 1).Select(v => (double)v).ToArray();
        var tonight = p99s[^1];
        var (mean, sd) = (before.Mean(), before.StandardDeviation());
        var threshold = Math.Max(mean + 3 * sd, mean * 1.1);
        if (tonight <= threshold) return null;
        var z = sd > 0 ? (tonight - mean) / sd : double.PositiveInfinity;
        return $"p99 {Duration.Format(tonight)} against {Duration.Format((long)mean)} ± {Duration.Format((long)sd)} over the {before.Length} nights before (z = {(double.IsInfinity(z) ? "inf" : z.ToString("0.0", CultureInfo.InvariantCulture))}, +{(tonight - mean) * 100 / mean:0} %)";
    }
}
