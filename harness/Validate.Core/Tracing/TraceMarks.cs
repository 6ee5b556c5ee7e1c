using System.Runtime.CompilerServices;
using Validate.Interop;
using Validate.Recording;

namespace Validate.Tracing;

/// <summary>What <see cref="TraceMarks"/> did in a window: markers written and failed; the first crossing and the freeze (-1: none).</summary>
public sealed record MarksOutcome(bool Marker, long Written, long Failed, int Errno, bool Freeze, long FreezeAfterNs, long CrossedSample, long CrossedRaiseNs,
    string? CrossedStage, long CrossedNs, long FrozenAtNs, long FrozenAfterSample, int FreezeErrno);

/// <summary>
/// The measuring loop's side of a traced window (plan key trace, docs/test-plans.md): after each sample's
/// stamps, a line in the kernel's trace, and with <c>freeze</c>, the ring stopped shortly after the first
/// sample that crossed a threshold, as cyclictest's <c>--tracemark</c> with <c>-b</c> and rtla timerlat's
/// stop-on-threshold do for a timer.
/// <list type="bullet">
/// <item>The marker (trace_marker): <c>validate sample=N raise=NS</c>, and <c> crossed STAGE=NS</c> when one of
/// the backend's own stages crossed its threshold. The raise is the sample's CLOCK_MONOTONIC stamp, so the
/// analysis finds each sample in the trace by it: a sample without its marker was not in the ring (overwritten,
/// or after the freeze) rather than missed by the kernel, and each marker's lag behind its sample's last stamp
/// checks the trace's clock against the harness's.</item>
/// <item>The freeze (tracing_on 0): once <c>freezeAfter</c> has passed since the first crossing, at the end
/// of a sample, so the ring keeps the window up to and shortly after it, however long the run. Measuring
/// goes on; later samples are not traced.</item>
/// </list>
/// One write(2) per sample (two at the freeze), after the sample is stamped, from a buffer allocated before
/// the window, on descriptors opened before it: nothing allocated, nothing logged. The warm-up runs the same
/// code into /dev/null (<see cref="Rehearse"/>), so that nothing of it is compiled in the window.
/// <para>
/// Descriptors: under <see cref="FileDescriptor"/>'s raw-number contract. This object owns them, the loop's
/// thread alone calls <see cref="After"/>, and <see cref="Target"/>, <see cref="Restart"/> and
/// <see cref="Dispose"/> run only while no loop runs (before go, after the join).
/// </para>
/// </summary>
public sealed unsafe class TraceMarks : IDisposable
{
    private const int BufferSize = 128;
    private static ReadOnlySpan<byte> Prefix => "validate sample="u8;
    private static ReadOnlySpan<byte> Raise => " raise="u8;
    private static ReadOnlySpan<byte> Crossed => " crossed "u8;

    private readonly byte[] _buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
    private readonly byte[][] _stageNames;
    private readonly string[] _names;
    private readonly int[] _stages;
    private readonly long[] _limits;
    private readonly bool _marker;
    private readonly bool _freeze;
    private readonly long _afterNs;
    private FileDescriptor? _markerFile;
    private FileDescriptor? _onFile;
    private int _markerFd = -1;
    private int _onFd = -1;
    private long _seq;
    private long _armedAtNs = -1;

    /// <summary>Markers written, and writes that failed (their last errno).</summary>
    public long Marked { get; private set; }
    public long Failed { get; private set; }
    public int LastErrno { get; private set; }
    /// <summary>The errno of a freeze that failed (0: it did not, or none was due).</summary>
    public int FreezeErrno { get; private set; }
    /// <summary>The first crossing: its sample (0-based, in the window), raise, stage and value; -1 and null until one.</summary>
    public long CrossedSample { get; private set; } = -1;
    public long CrossedRaiseNs { get; private set; }
    public string? CrossedStage { get; private set; }
    public long CrossedNs { get; private set; }
    /// <summary>When the ring was stopped (CLOCK_MONOTONIC) and after which sample; -1 while it records.</summary>
    public long FrozenAtNs { get; private set; } = -1;
    public long FrozenAfterSample { get; private set; } = -1;

    /// <summary>
    /// <paramref name="stages"/>: the backend's own stage names, in its order; <paramref name="thresholds"/>:
    /// the plan's, of which those on the backend's own stages are the ones the loop checks.
    /// </summary>
    public TraceMarks(IReadOnlyList<string> stages, IReadOnlyDictionary<string, long> thresholds, bool marker, bool freeze, long freezeAfterNs)
    {
        var own = thresholds.Where(t => stages.Contains(t.Key)).ToList();
        _stages = [.. own.Select(t => stages.ToList().IndexOf(t.Key))];
        _limits = [.. own.Select(t => t.Value)];
        _names = [.. own.Select(t => t.Key)];
        _stageNames = [.. _names.Select(System.Text.Encoding.ASCII.GetBytes)];
        _marker = marker;
        _freeze = freeze && _stages.Length > 0;
        _afterNs = Math.Max(0, freezeAfterNs);
    }

    /// <summary>What the loop did, read after the window for the analysis.</summary>
    public MarksOutcome Outcome() => new(_marker, Marked, Failed, LastErrno, _freeze, _afterNs, CrossedSample, CrossedRaiseNs, CrossedStage, CrossedNs,
        FrozenAtNs, FrozenAfterSample, FreezeErrno);

    /// <summary>Whether the loop has anything to do: a marker per sample, or a freeze to watch for.</summary>
    public bool Active => _marker || _freeze;

    /// <summary>The warm-up's target: the same writes, into /dev/null.</summary>
    public void Rehearse() => Target("/dev/null", "/dev/null");

    /// <summary>Points the marker and the freeze at these files (a tracefs instance's trace_marker and tracing_on), counters restarted.</summary>
    public void Target(string markerPath, string tracingOnPath)
    {
        Close();
        if (_marker)
        {
            _markerFile = FileDescriptor.Open(markerPath, OpenMode.WriteOnly);
            _markerFd = _markerFile.Number;
        }
        if (_freeze)
        {
            _onFile = FileDescriptor.Open(tracingOnPath, OpenMode.WriteOnly);
            _onFd = _onFile.Number;
        }
        Restart();
    }

    /// <summary>Counters and the freeze's state back to none (after the warm-up).</summary>
    public void Restart()
    {
        _seq = 0;
        _armedAtNs = -1;
        Marked = Failed = 0;
        LastErrno = FreezeErrno = 0;
        CrossedSample = FrozenAtNs = FrozenAfterSample = -1;
        CrossedRaiseNs = CrossedNs = 0;
        CrossedStage = null;
    }

    /// <summary>After a sample's stamps, on the measuring thread: its marker; the freeze once due. Allocates nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void After(ref Sample s)
    {
        // The ring is stopped: nothing more would be recorded.
        if (FrozenAtNs >= 0) return;
        var seq = _seq++;
        var crossed = -1;
        for (int i = 0; i < _stages.Length; i++)
        {
            if (s.Stages[_stages[i]] > _limits[i])
            {
                crossed = i;
                break;
            }
        }
        fixed (byte* p = _buffer)
        {
            if (_markerFd >= 0)
            {
                var span = new Span<byte>(p, BufferSize);
                var n = Put(span, 0, Prefix);
                n = Number(span, n, seq);
                n = Put(span, n, Raise);
                n = Number(span, n, s.TimestampNs);
                if (crossed >= 0)
                {
                    n = Put(span, n, Crossed);
                    n = Put(span, n, _stageNames[crossed]);
                    span[n++] = (byte)'=';
                    n = Number(span, n, s.Stages[_stages[crossed]]);
                }
                span[n++] = (byte)'\n';
                Count(LoopCalls.WriteShort(_markerFd, p, (nuint)n));
            }
            if (!_freeze) return;
            var now = 0L;
            if (crossed >= 0 && _armedAtNs < 0)
            {
                now = LoopCalls.MonotonicNs();
                _armedAtNs = now;
                CrossedSample = seq;
                CrossedRaiseNs = s.TimestampNs;
                CrossedNs = s.Stages[_stages[crossed]];
                CrossedStage = _names[crossed]; // the plan's string: a reference, nothing allocated
            }
            if (_armedAtNs < 0) return;
            if (now == 0) now = LoopCalls.MonotonicNs();
            if (now - _armedAtNs < _afterNs) return;
            p[0] = (byte)'0';
            var off = LoopCalls.WriteShort(_onFd, p, 1);
            if (off < 0) FreezeErrno = (int)-off;
            FrozenAtNs = now;
            FrozenAfterSample = seq;
        }
    }

    private void Count(long written)
    {
        if (written >= 0) Marked++;
        else
        {
            Failed++;
            LastErrno = (int)-written;
        }
    }

    private static int Put(Span<byte> to, int at, ReadOnlySpan<byte> what)
    {
        what.CopyTo(to[at..]);
        return at + what.Length;
    }

    /// <summary>A non-negative number in decimal (a negative one as 0: stages and stamps are not negative).</summary>
    private static int Number(Span<byte> to, int at, long value)
    {
        if (value <= 0)
        {
            to[at] = (byte)'0';
            return at + 1;
        }
        var digits = 0;
        for (var v = value; v > 0; v /= 10) digits++;
        for (int i = at + digits - 1; i >= at; i--, value /= 10) to[i] = (byte)('0' + value % 10);
        return at + digits;
    }

    private void Close()
    {
        _markerFd = _onFd = -1;
        _markerFile?.Dispose();
        _onFile?.Dispose();
        _markerFile = _onFile = null;
    }

    public void Dispose() => Close();
}
