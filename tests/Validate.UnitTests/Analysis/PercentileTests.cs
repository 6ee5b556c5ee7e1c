using NUnit.Framework;
using Validate.Analysis;

namespace Validate.UnitTests.Analysis;

/// <summary>One percentile definition for every exact set of values: nearest rank.</summary>
public class PercentileTests
{
    [TestCase(50, 5)]
    [TestCase(90, 9)]
    [TestCase(99, 10)]
    [TestCase(100, 10)]
    [TestCase(0, 1)]
    [TestCase(10, 1)]
    [TestCase(11, 2)]
    public void Nearest_rank_of_one_to_ten(double percent, long expected)
    {
        long[] v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.That(Percentile.NearestRank(v, percent), Is.EqualTo(expected));
    }

    [Test]
    public void No_values_give_zero() => Assert.That(Percentile.NearestRank([], 99), Is.Zero);

    [Test]
    public void A_recovery_stage_and_a_window_agree_on_p50_and_p99()
    {
        long[] v = [30, 10, 20, 50, 40];
        var stage = StageStatistics.Exact("total", v);
        var window = StageStatistics.Window([.. v], 1);
        Assert.That((stage.P50Ns, stage.P99Ns, stage.MaxNs), Is.EqualTo((window.P50Ns, window.P99Ns, window.MaxNs)));
        Assert.That((stage.P50Ns, stage.P99Ns), Is.EqualTo((30L, 50L)));
    }
}
