using System.IO.Compression;
using System.Buffers.Binary;

namespace Validate.Recording;

/// <summary>
/// Raw samples from the measuring thread to a compressed file, through a single-producer single-consumer
/// ring sized before the run. The measuring thread only copies a struct into the ring (no allocation, no
/// lock, no system call); a writer thread drains it into a gzip stream, after the window rather than during
/// it: it compresses only once the ring is half full (a run longer than half the ring) and when stopped, so
/// that in a window that fits the ring nothing of ours runs beside the measuring thread. It looks at the ring
/// every 50 ms when the producer's rate is unknown; for a paced producer (a rate given) every half of the time
/// the rate needs to fill half the ring, 50 ms to 5 s (at 500/s and the default ring: once in 5 s, where 50 ms
/// woke it 200 times in a 10 s window), and a stop wakes it at once. When the writer
/// falls behind and the ring is full, the sample is not kept on disk and counted in <see cref="Dropped"/>:
/// the histograms still have every sample, the raw file says how many it lacks.
///
/// File format (little-endian), documented in docs/results.md: magic "VALRAW01", int32 stage count, then
/// records of int64 timestamp_ns followed by one int64 per stage.
/// </summary>
public sealed class RawSampleWriter : IDisposable
{
    private static readonly byte[] Magic = "VALRAW01"u8.ToArray();
    /// <summary>How often the writer looks at the ring when the rate is unknown: 50 ms, in which even 100,000 samples/s fill less than a quarter of the default ring (65,536).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    /// <summary>The longest the writer sleeps between two looks at the ring of a paced producer.</summary>
    public static readonly TimeSpan LongestLook = TimeSpan.FromSeconds(5);
    private readonly Sample[] _ring;
    private readonly int _mask;
    private readonly int _stages;
    private readonly Stream? _file;
    private readonly GZipStream? _gzip;
    private readonly Thread? _writer;
    private readonly byte[] _chunk;
    private readonly TimeSpan _look;
    private readonly ManualResetEventSlim _stop = new(false);
    private long _looks;         // writer only
    private long _head;          // written by the producer only
    private long _tail;          // written by the writer only
    private long _dropped;       // producer only

    public string? Path { get; }

    /// <summary>Samples not written because the ring was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Samples written to the file.</summary>
    public long Written => Volatile.Read(ref _tail);

    /// <summary>How many times the writer has woken to look at the ring (not counting the look after the stop).</summary>
    public long Looks => Volatile.Read(ref _looks);

    /// <summary>The writer's sleep between two looks at the ring: see the class.</summary>
    public TimeSpan LookInterval => _look;

    /// <param name="path">the .bin.gz file, or null to keep no raw samples (ring still sized, nothing written)</param>
    /// <param name="stages">stages per sample</param>
    /// <param name="capacity">the ring's size in samples, a power of two</param>
    /// <param name="rateHz">the producer's pace in samples per second, 0 when unpaced or unknown</param>
    public RawSampleWriter(string? path, int stages, int capacity, int rateHz = 0)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two");
        ArgumentOutOfRangeException.ThrowIfNegative(rateHz);
        _look = LookIntervalFor(capacity, rateHz);
        _ring = GC.AllocateArray<Sample>(capacity, pinned: true);
        Array.Clear(_ring); // prefault
        _mask = capacity - 1;
        _stages = stages;
        _chunk = new byte[8 * (1 + stages) * 1024];
        Path = path;
        if (path is null) return;
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _gzip = new GZipStream(_file, CompressionLevel.Fastest);
        _gzip.Write(Magic);
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, stages);
        _gzip.Write(n);
        _writer = new Thread(Drain) { IsBackground = true, Name = "raw-sample-writer", Priority = ThreadPriority.BelowNormal };
        _writer.Start();
    }

    /// <summary>Called by the measuring thread: copies the sample into the ring, or counts it dropped.</summary>
    public void Add(in Sample s)
    {
        if (_file is null) return;
        var head = _head;
        if (head - Volatile.Read(ref _tail) >= _ring.Length)
        {
            _dropped++;
            return;
        }
        _ring[head & _mask] = s;
        Volatile.Write(ref _head, head + 1);
    }

    /// <summary>
    /// The sleep between two looks: 50 ms unpaced; paced at R/s, half of the time R needs to fill half the
    /// ring, 50 ms to 5 s: between two looks the producer at its pace adds at most a quarter of the ring, so
    /// a ring under half full at one look is under three quarters at the next.
    /// </summary>
    public static TimeSpan LookIntervalFor(int capacity, int rateHz)
    {
        if (rateHz <= 0) return PollInterval;
        var ms = capacity / 2 * 1000.0 / rateHz / 2;
        return TimeSpan.FromMilliseconds(Math.Clamp(ms, PollInterval.TotalMilliseconds, LongestLook.TotalMilliseconds));
    }

    private void Drain()
    {
        // Compress during the window only when the ring would otherwise fill (half full): else after it.
        while (!_stop.Wait(_look))
        {
            _looks++;
            if (Volatile.Read(ref _head) - _tail >= _ring.Length / 2) DrainOnce();
        }
        DrainOnce();
    }

    private void DrainOnce()
    {
        var head = Volatile.Read(ref _head);
        var tail = _tail;
        var recordBytes = 8 * (1 + _stages);
        var used = 0;
        while (tail < head)
        {
            ref var s = ref _ring[tail & _mask];
            var span = _chunk.AsSpan(used);
            BinaryPrimitives.WriteInt64LittleEndian(span, s.TimestampNs);
            for (int i = 0; i < _stages; i++) BinaryPrimitives.WriteInt64LittleEndian(span[(8 + 8 * i)..], s.Stages[i]);
            used += recordBytes;
            tail++;
            if (used + recordBytes > _chunk.Length)
            {
                _gzip!.Write(_chunk, 0, used);
                used = 0;
                Volatile.Write(ref _tail, tail);
            }
        }
        if (used > 0) _gzip!.Write(_chunk, 0, used);
        Volatile.Write(ref _tail, tail);
    }

    /// <summary>Stops the writer after it has written everything in the ring, and closes the file.</summary>
    public void Dispose()
    {
        _stop.Set();
        if (_writer is not null)
        {
            _writer.Join();
            _gzip!.Dispose();
            _file!.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>Reads a raw sample file back (for reports and tests): timestamp and stage values per record.</summary>
    public static IEnumerable<(long TimestampNs, long[] Stages)> Read(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var r = new BinaryReader(gz);
        if (!r.ReadBytes(8).AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a Validate raw sample file (magic VALRAW01)");
        var stages = r.ReadInt32();
        while (true)
        {
            long ts;
            try { ts = r.ReadInt64(); }
            catch (EndOfStreamException) { yield break; }
            var v = new long[stages];
            for (int i = 0; i < stages; i++) v[i] = r.ReadInt64();
            yield return (ts, v);
        }
    }
}
