using HdrHistogram;
using Validate.Recording;
using Validate.Results;

namespace Validate.Analysis;

/// <summary>
/// Percentiles of an exact, sorted set of values, nearest rank: the smallest value with at least
/// <c>percent</c> % of the values at or below it. The one definition the harness uses wherever it has
/// every value (recoveries, the raise-to-service latencies of a fault suite, per-interval p99); a latency
/// stage's distribution comes from its HdrHistogram instead.
/// </summary>
public static class Percentile
{
    public static long NearestRank(ReadOnlySpan<long> sorted, double percent) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>Statistics of a stage: from the recorders of a latency suite, or exact from a few values (a fault suite's recoveries).</summary>
public static class StageStatistics
{
    /// <summary>Per-stage statistics of one or more recorders (the measuring threads of a suite), merged.</summary>
    public static List<StageResult> FromRecorders(IReadOnlyList<LatencyRecorder> live, IReadOnlyList<string> stages)
    {
        var list = new List<StageResult>();
        for (int i = 0; i < stages.Count; i++)
        {
            var h = new LongHistogram(1, LatencyRecorder.HighestTrackableNs, 3);
            foreach (var r in live) h.Add(r.Histogram(i));
            if (h.TotalCount == 0)
            {
                list.Add(new StageResult(stages[i], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, live[0].IntervalNs, [], []));
                continue;
            }
            var intervalNs = live.Max(r => r.IntervalNs);
            var intervals = live.Select(r => Rescale(r.IntervalMaxima(i), r.IntervalNs, intervalNs)).ToList();
            var merged = new long[intervals.Max(x => x.Length)];
            foreach (var x in intervals)
                for (int k = 0; k < x.Length; k++) merged[k] = Math.Max(merged[k], x[k]);
            var distribution = h.Percentiles(5)
                .Select(v => new DistributionPoint(v.ValueIteratedTo, Math.Round(v.PercentileLevelIteratedTo, 6), v.TotalCountToThisValue))
                .DistinctBy(p => p.ValueNs)
                .ToList();
            var buckets = h.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAddedInThisIterationStep }).ToList();
            list.Add(new StageResult(
                stages[i], h.TotalCount, live.Min(r => r.Min(i)),
                h.GetValueAtPercentile(50), h.GetValueAtPercentile(90), h.GetValueAtPercentile(99),
                h.GetValueAtPercentile(99.9), h.GetValueAtPercentile(99.99), live.Max(r => r.Max(i)),
                Math.Round(h.GetMean(), 1), Math.Round(h.GetStdDeviation(), 1), live.Sum(r => r.Negative(i)),
                intervalNs, merged, distribution, buckets));
        }
        return list;
    }

    /// <summary>
    /// Per-interval 99th percentile of one stage, from the raw sample files after the run (never during
    /// it): null when a raw file is missing or samples were dropped from it, since the answer would be wrong.
    /// </summary>
    public static long[]? IntervalP99(IReadOnlyList<LatencyRecorder> recorders, int stage, long intervalNs)
    {
        if (recorders.Count == 0 || recorders.Any(r => r.RawPath is null || r.RawDropped > 0 || !File.Exists(r.RawPath))) return null;
        var perInterval = new List<List<long>>();
        long start = long.MaxValue;
        foreach (var r in recorders)
            foreach (var (ts, _) in RawSampleWriter.Read(r.RawPath!).Take(1))
                start = Math.Min(start, ts);
        foreach (var r in recorders)
        {
            foreach (var (ts, values) in RawSampleWriter.Read(r.RawPath!))
            {
                var i = (int)Math.Max(0, (ts - start) / intervalNs);
                while (perInterval.Count <= i) perInterval.Add([]);
                perInterval[i].Add(values[stage]);
            }
        }
        return perInterval.Select(v =>
        {
            v.Sort();
            return Percentile.NearestRank(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(v), 99);
        }).ToArray();
    }

    private static long[] Rescale(long[] maxima, long fromNs, long toNs)
    {
        if (fromNs == toNs) return maxima;
        var factor = (int)(toNs / fromNs);
        var r = new long[(maxima.Length + factor - 1) / factor];
        for (int k = 0; k < maxima.Length; k++) r[k / factor] = Math.Max(r[k / factor], maxima[k]);
        return r;
    }

    /// <summary>Exact statistics of a few values (one recovery time per repetition), in the shape of a latency stage.</summary>
    public static StageResult Exact(string name, long[] values)
    {
        if (values.Length == 0) return new StageResult(name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_000_000_000, [], []);
        var v = values.Order().ToArray();
        long P(double q) => Percentile.NearestRank(v, q);
        var mean = v.Average();
        var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        var dist = v.Select((x, i) => new DistributionPoint(x, Math.Round(100.0 * (i + 1) / v.Length, 6), i + 1)).DistinctBy(p => p.ValueNs).ToList();
        var hist = v.GroupBy(x => x).Select(g => new[] { g.Key, (long)g.Count() }).ToList();
        return new StageResult(name, v.Length, v[0], P(50), P(90), P(99), P(99.9), P(99.99), v[^1], Math.Round(mean, 1), Math.Round(sd, 1),
            v.Count(x => x < 0), 1_000_000_000, [], dist, hist);
    }

    /// <summary>Latencies handled in a span of time (a neighbour's, during or outside the faults): count, rate, p50, p99, max.</summary>
    public static WindowStats Window(List<long> latencies, double seconds)
    {
        latencies.Sort();
        var v = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(latencies);
        return new WindowStats(latencies.Count, Math.Round(seconds, 3), seconds > 0 ? Math.Round(latencies.Count / seconds, 1) : 0,
            Percentile.NearestRank(v, 50), Percentile.NearestRank(v, 99), latencies.Count == 0 ? 0 : latencies[^1]);
    }
}
