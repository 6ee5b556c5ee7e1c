using NUnit.Framework;
using Validate.Recording;

namespace Validate.UnitTests.Recording;

public class LatencyRecorderTests
{
    private static Sample At(long t, params long[] stages)
    {
        var s = new Sample { TimestampNs = t };
        for (int i = 0; i < stages.Length; i++) s.Stages[i] = stages[i];
        return s;
    }

    [Test]
    public void Percentiles_come_from_the_histogram_within_its_three_significant_digits()
    {
        using var r = new LatencyRecorder(["total"], rawPath: null, rawRing: 1024);
        for (long v = 1; v <= 10_000; v++) r.Record(At(v * 1000, v * 1000)); // 1 us .. 10 ms
        var h = r.Histogram(0);
        Assert.That(h.GetValueAtPercentile(50), Is.EqualTo(5_000_000).Within(0.1).Percent);
        Assert.That(h.GetValueAtPercentile(99), Is.EqualTo(9_900_000).Within(0.1).Percent);
        Assert.That((r.Min(0), r.Max(0), r.Count), Is.EqualTo((1000L, 10_000_000L, 10_000L)), "min and max are exact");
    }

    [Test]
    public void A_negative_stage_is_counted_and_recorded_as_zero()
    {
        using var r = new LatencyRecorder(["a", "b"], null, 1024);
        r.Record(At(1, -5, 10));
        Assert.That((r.Negative(0), r.Negative(1), r.Min(0)), Is.EqualTo((1L, 0L, 0L)));
    }

    [Test]
    public void Interval_maxima_keep_bounded_memory_by_merging_neighbours()
    {
        using var r = new LatencyRecorder(["total"], null, 1024, intervalNs: 1000);
        // 3 x 2048 intervals of 1 us: the slots halve twice, the interval grows to 4 us.
        for (long t = 0; t < 3 * LatencyRecorder.IntervalSlots * 1000L; t += 500) r.Record(At(t, t % 7777));
        Assert.That(r.IntervalNs, Is.EqualTo(4000));
        var maxima = r.IntervalMaxima(0);
        Assert.That(maxima, Has.Length.LessThanOrEqualTo(LatencyRecorder.IntervalSlots));
        Assert.That(maxima.Max(), Is.EqualTo(r.Max(0)), "no maximum is lost by merging");
    }

    [Test]
    public void Raw_samples_are_compressed_after_the_window_when_they_fit_half_the_ring()
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-raw-{Guid.NewGuid():N}.bin.gz");
        try
        {
            var w = new RawSampleWriter(path, 1, 1024);
            var s = new Sample();
            for (int i = 0; i < 500; i++) w.Add(s);
            Thread.Sleep(300); // six looks of the writer
            Assert.That(w.Written, Is.Zero, "nothing of ours compresses beside the measuring thread while the ring has room");
            w.Dispose();
            Assert.That(w.Written, Is.EqualTo(500));
            Assert.That(RawSampleWriter.Read(path).Count(), Is.EqualTo(500));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_paced_writer_sleeps_through_a_window_that_fits_its_ring_and_stops_at_once()
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-raw-{Guid.NewGuid():N}.bin.gz");
        try
        {
            // 500/s into 65,536: half the ring takes 65 s, so the writer looks every 5 s (the longest).
            var w = new RawSampleWriter(path, 1, 65536, rateHz: 500);
            Assert.That(w.LookInterval, Is.EqualTo(RawSampleWriter.LongestLook));
            var s = new Sample();
            for (int i = 0; i < 500; i++) w.Add(s);
            Thread.Sleep(500); // ten looks at the unpaced 50 ms
            Assert.That(w.Looks, Is.Zero, "the writer woke during the window of a paced producer whose samples fit half the ring");
            var stop = System.Diagnostics.Stopwatch.StartNew();
            w.Dispose();
            Assert.That(stop.Elapsed, Is.LessThan(RawSampleWriter.LongestLook / 2), "the stop waited for the writer's next look");
            Assert.That(w.Written, Is.EqualTo(500));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase(1024, 0, 50)]          // unpaced: every 50 ms
    [TestCase(65536, 500, 5000)]     // 65 s to half full: the longest, 5 s
    [TestCase(65536, 10_000, 1638.4)] // 3.3 s to half full: half of it
    [TestCase(1024, 100_000, 50)]    // 5 ms to half full: never under 50 ms
    public void A_paced_writer_looks_every_half_of_the_time_its_rate_needs_to_fill_half_the_ring(int capacity, int rateHz, double ms)
    {
        Assert.That(RawSampleWriter.LookIntervalFor(capacity, rateHz).TotalMilliseconds, Is.EqualTo(ms).Within(0.01));
    }

    [Test]
    public void Raw_samples_round_trip_through_the_compressed_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-raw-{Guid.NewGuid():N}.bin.gz");
        try
        {
            using (var r = new LatencyRecorder(["a", "b", "c", "d"], path, 1024))
            {
                for (int i = 0; i < 5000; i++)
                {
                    r.Record(At(i, i, 2 * i, 3 * i, 4 * i));
                    if (i % 400 == 0) Thread.Sleep(120); // let the writer (every 50 ms, from half full) keep up with a 1024-sample ring
                }
            }
            var back = RawSampleWriter.Read(path).ToList();
            Assert.That(back, Has.Count.EqualTo(5000));
            Assert.That(back[4321].TimestampNs, Is.EqualTo(4321));
            Assert.That(back[4321].Stages, Is.EqualTo(new long[] { 4321, 8642, 12963, 17284 }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_full_ring_drops_raw_samples_and_counts_them_but_the_histogram_keeps_all()
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-raw-{Guid.NewGuid():N}.bin.gz");
        try
        {
            long dropped, written;
            using (var r = new LatencyRecorder(["total"], path, 1024))
            {
                // Far faster than a writer that wakes every 20 ms: the ring must overflow.
                for (int i = 0; i < 200_000; i++) r.Record(At(i, i));
                Assert.That(r.Histogram(0).TotalCount, Is.EqualTo(200_000));
                dropped = r.RawDropped;
                r.Dispose();
                written = r.RawWritten;
            }
            Assert.That(dropped, Is.GreaterThan(0));
            Assert.That(written + dropped, Is.EqualTo(200_000), "every sample is either in the file or counted as dropped");
            Assert.That(RawSampleWriter.Read(path).Count(), Is.EqualTo(written));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Per_interval_p99_comes_from_the_raw_samples_after_the_run()
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-raw-{Guid.NewGuid():N}.bin.gz");
        try
        {
            using var r = new LatencyRecorder(["total"], path, 4096);
            // Interval 0: 1..100 us; interval 1: 101..200 us (1 s intervals, 100 samples each).
            for (int i = 0; i < 200; i++) r.Record(At(i * 10_000_000L, (i + 1) * 1000L));
            r.Dispose();
            var p99 = Validate.Analysis.StageStatistics.IntervalP99([r], 0, 1_000_000_000);
            Assert.That(p99, Is.EqualTo(new long[] { 99_000, 199_000 }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Per_interval_p99_is_not_made_up_when_raw_samples_were_dropped()
    {
        using var r = new LatencyRecorder(["total"], rawPath: null, rawRing: 1024);
        r.Record(At(0, 1));
        Assert.That(Validate.Analysis.StageStatistics.IntervalP99([r], 0, 1_000_000_000), Is.Null);
    }
}
