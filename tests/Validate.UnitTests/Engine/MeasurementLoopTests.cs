using NUnit.Framework;
using Validate.Backends;
using Validate.Analysis;
using Validate.Engine;
using Validate.Plans;
using Validate.Recording;
using Validate.Results;

namespace Validate.UnitTests.Engine;

/// <summary>
/// The measurement loop allocates nothing and causes no collection. On the host this is proved for the
/// timer backend over 100,000 iterations; the lab tests prove it for valirq and uio on real (emulated) cards
/// (tests/Validate.LabTests/EngineLabTests.cs).
/// </summary>
public class MeasurementLoopTests
{
    [Test]
    public void The_timer_loop_allocates_nothing_over_100000_iterations()
    {
        using var backend = new TimerBackend(periodNs: 10_000);
        backend.Open();
        var path = Path.Combine(Path.GetTempPath(), $"validate-loop-{Guid.NewGuid():N}.bin.gz");
        try
        {
            using var recorder = new LatencyRecorder(backend.Stages, path, 65536);
            using (var warm = new LatencyRecorder(backend.Stages, null, 1024))
                LatencySuiteRunner.MeasureLoop(backend, warm, 1000, 0, long.MaxValue, out _);
            var gc0 = GC.CollectionCount(0);
            var allocated = LatencySuiteRunner.MeasureLoop(backend, recorder, 100_000, 0, long.MaxValue, out var gaveUp);
            Assert.That(allocated, Is.Zero, "bytes allocated by the measuring thread in the loop");
            Assert.That(GC.CollectionCount(0) - gc0, Is.Zero, "collections during the loop");
            Assert.That((recorder.Count, gaveUp), Is.EqualTo((100_000L, false)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void The_loop_with_a_trace_marker_per_sample_and_a_freeze_to_watch_allocates_nothing()
    {
        using var backend = new TimerBackend(periodNs: 10_000);
        backend.Open();
        // Markers into /dev/null, a threshold every sample crosses, a freeze that never comes due: every branch runs.
        using var marks = new Validate.Tracing.TraceMarks(backend.Stages, new Dictionary<string, long> { ["total"] = 1 }, marker: true, freeze: true, long.MaxValue / 2);
        marks.Rehearse();
        using var recorder = new LatencyRecorder(backend.Stages, null, 65536);
        using (var warm = new LatencyRecorder(backend.Stages, null, 1024))
            LatencySuiteRunner.MeasureLoop(backend, warm, 1000, 0, long.MaxValue, out _, marks);
        marks.Restart();
        var allocated = LatencySuiteRunner.MeasureLoop(backend, recorder, 100_000, 0, long.MaxValue, out _, marks);
        Assert.That(allocated, Is.Zero, "bytes allocated by the measuring thread in the loop");
        var o = marks.Outcome();
        Assert.That((o.Written, o.Failed, o.CrossedSample), Is.EqualTo((recorder.Count, 0L, 0L)), "a marker per sample; the first crossed");
    }

    [Test]
    public void The_timer_counts_missed_periods_instead_of_skipping_them_silently()
    {
        using var backend = new TimerBackend(periodNs: 1_000_000);
        backend.Open();
        var s = default(Sample);
        backend.MeasureOne(ref s);
        Thread.Sleep(10); // ~10 periods pass without us
        backend.MeasureOne(ref s);
        Assert.That(backend.Counters.Missed, Is.InRange(8, 12));
        Assert.That(s.Stages[0], Is.GreaterThanOrEqualTo(8_000_000), "the late wake-up is recorded as it was");
    }

    private static SuitePlan Suite(Limits limits) =>
        new("s", BackendKind.Timer, "periodic", 10, null, 1000, [0], 80, LoadProfile.Idle, 0, 1000, 0, 1024, limits);

    private static SuiteResult Result(long p99, long lost = 0, long extra = 0) => new()
    {
        Name = "s", Backend = "timer", Mode = "periodic",
        Counts = new SuiteCounts(10, 10, 10, 10, 10, lost, extra, 0, 0, 0, null, 10, 0, 0),
        Stages = { new StageResult("total", 10, 1, p99 / 2, p99, p99, p99, p99, p99, 0, 0, 0, 1, [], []) },
    };

    [TestCase(50_000, Verdict.Pass)]
    [TestCase(95_000, Verdict.Marginal)]
    [TestCase(100_000, Verdict.Marginal)]
    [TestCase(100_001, Verdict.Fail)]
    public void Limits_have_a_marginal_band_below_them(long p99, Verdict expected)
    {
        var r = Result(p99);
        LimitVerdict.Judge(Suite(new Limits(0.1, 0, 0, [new StageLimit("total", "p99", 100_000)])), r);
        Assert.That(r.Verdict, Is.EqualTo(expected), r.Message);
        Assert.That(r.Limits.Single().ValueNs, Is.EqualTo(p99));
    }

    [Test]
    public void A_lost_interrupt_fails_the_suite_with_the_count()
    {
        var r = Result(10, lost: 3);
        LimitVerdict.Judge(Suite(new Limits(0.1, 0, 0, [])), r);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Fail));
        Assert.That(r.Message, Does.Contain("3 interrupts lost (limit 0)"));
    }

    [TestCase(null, 1, Verdict.Fail)]
    [TestCase(2L, 2, Verdict.Pass)]
    [TestCase(2L, 3, Verdict.Fail)]
    public void Extra_interrupts_are_judged_by_maxExtra_else_by_maxLost(long? maxExtra, long extra, Verdict expected)
    {
        var r = Result(10, extra: extra);
        LimitVerdict.Judge(Suite(new Limits(0.1, 0, 0, [], maxExtra)), r);
        Assert.That(r.Verdict, Is.EqualTo(expected), r.Message);
        if (expected == Verdict.Fail) Assert.That(r.Message, Does.Contain($"{extra} interrupts more than stimuli (duplicated or unrequested; limit {maxExtra ?? 0})"));
    }
}
