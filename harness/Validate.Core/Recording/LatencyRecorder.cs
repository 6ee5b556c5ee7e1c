using HdrHistogram;

namespace Validate.Recording;

/// <summary>
/// Records the samples of one measuring thread: an HdrHistogram per stage (ns, 3 significant digits,
/// bounded memory whatever the duration), exact min/max, per-interval maxima (a fixed number of
/// intervals; when they run out, neighbours merge and the interval doubles), and the raw stream.
/// Everything is allocated in the constructor; <see cref="Record"/> allocates nothing.
/// </summary>
public sealed class LatencyRecorder : IDisposable
{
    /// <summary>Highest value a histogram tracks: 60 s. Longer samples are clamped and counted.</summary>
    public const long HighestTrackableNs = 60_000_000_000;
    public const int IntervalSlots = 2048;
    /// <summary>How many of the worst samples (by the last stage, the total) are kept whole.</summary>
    public const int WorstKept = 16;

    private readonly LongHistogram[] _histograms;
    private readonly long[] _min;
    private readonly long[] _max;
    private readonly long[] _negative;
    private readonly long[][] _intervalMax;
    private readonly RawSampleWriter _raw;
    private long _intervalNs;
    private long _startNs = -1;
    private int _lastInterval = -1;
    private long _clamped;
    private readonly Sample[] _worst = new Sample[WorstKept];
    private int _worstCount;
    private int _worstMinIndex;

    public IReadOnlyList<string> Stages { get; }
    public long Count { get; private set; }

    /// <param name="rateHz">the measuring thread's pace in samples per second (0: unpaced), for the raw writer's looks</param>
    public LatencyRecorder(IReadOnlyList<string> stages, string? rawPath, int rawRing, long intervalNs = 1_000_000_000, int rateHz = 0)
    {
        if (stages.Count is 0 or > Sample.MaxStages) throw new ArgumentOutOfRangeException(nameof(stages));
        Stages = stages;
        _histograms = stages.Select(_ => new LongHistogram(1, HighestTrackableNs, 3)).ToArray();
        _min = Enumerable.Repeat(long.MaxValue, stages.Count).ToArray();
        _max = new long[stages.Count];
        _negative = new long[stages.Count];
        _intervalMax = stages.Select(_ => new long[IntervalSlots]).ToArray();
        _intervalNs = intervalNs;
        _raw = new RawSampleWriter(rawPath, stages.Count, rawRing, rateHz);
        // Prefault: every page the loop may write is written once now (a large array's fresh pages are not, and
        // with mlockall's MCL_ONFAULT a page is only locked in when first touched). Reset clears each histogram's
        // counts; the raw ring is cleared by its writer.
        foreach (var h in _histograms) h.Reset();
        foreach (var m in _intervalMax) Array.Clear(m);
    }

    /// <summary>The measuring thread's one call per sample.</summary>
    public void Record(in Sample s)
    {
        if (_startNs < 0) _startNs = s.TimestampNs;
        var slot = (s.TimestampNs - _startNs) / _intervalNs;
        while (slot >= IntervalSlots)
        {
            Coarsen();
            slot = (s.TimestampNs - _startNs) / _intervalNs;
        }
        var interval = (int)Math.Max(0, slot);
        _lastInterval = Math.Max(_lastInterval, interval);
        for (int i = 0; i < _histograms.Length; i++)
        {
            var v = s.Stages[i];
            if (v < 0)
            {
                // A stage that ends before it starts: clocks or ordering broken. Counted, recorded as 0.
                _negative[i]++;
                v = 0;
            }
            if (v > HighestTrackableNs)
            {
                _clamped++;
                v = HighestTrackableNs;
            }
            _histograms[i].RecordValue(v);
            if (v < _min[i]) _min[i] = v;
            if (v > _max[i]) _max[i] = v;
            if (v > _intervalMax[i][interval]) _intervalMax[i][interval] = v;
        }
        Count++;
        KeepIfWorst(s);
        _raw.Add(s);
    }

    private void KeepIfWorst(in Sample s)
    {
        var last = _histograms.Length - 1;
        if (_worstCount < WorstKept)
        {
            _worst[_worstCount++] = s;
            if (_worstCount == WorstKept) FindWorstMin(last);
            return;
        }
        if (s.Stages[last] <= _worst[_worstMinIndex].Stages[last]) return;
        _worst[_worstMinIndex] = s;
        FindWorstMin(last);
    }

    private void FindWorstMin(int stage)
    {
        var m = 0;
        for (int i = 1; i < WorstKept; i++)
            if (_worst[i].Stages[stage] < _worst[m].Stages[stage]) m = i;
        _worstMinIndex = m;
    }

    /// <summary>The worst samples kept (by total), worst first.</summary>
    public IReadOnlyList<Sample> Worst()
    {
        var last = _histograms.Length - 1;
        return _worst[.._worstCount].OrderByDescending(w => w.Stages[last]).ToList();
    }

    private void Coarsen()
    {
        foreach (var slots in _intervalMax)
        {
            for (int i = 0; i < IntervalSlots / 2; i++) slots[i] = Math.Max(slots[2 * i], slots[2 * i + 1]);
            Array.Clear(slots, IntervalSlots / 2, IntervalSlots / 2);
        }
        _intervalNs *= 2;
        _lastInterval /= 2;
    }

    public long RawDropped => _raw.Dropped;
    public long RawWritten => _raw.Written;
    public string? RawPath => _raw.Path;
    public long Clamped => _clamped;
    public long IntervalNs => _intervalNs;
    public LongHistogram Histogram(int stage) => _histograms[stage];
    public long Negative(int stage) => _negative[stage];
    public long Min(int stage) => Count == 0 ? 0 : _min[stage];
    public long Max(int stage) => _max[stage];

    /// <summary>Per-interval maxima of a stage, one per interval of <see cref="IntervalNs"/> from the first sample.</summary>
    public long[] IntervalMaxima(int stage) => _intervalMax[stage][..(_lastInterval + 1)];

    /// <summary>Flushes and closes the raw sample file (after the measurement).</summary>
    public void Dispose() => _raw.Dispose();
}
