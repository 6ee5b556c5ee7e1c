using Validate.Devices;
using Validate.Interop;
using Validate.Realtime;

namespace Validate.Faults;

/// <summary>
/// Makes a card interrupt at a steady rate from a thread of its own (SCHED_FIFO, pinned), writing the
/// card's raise register through the harness's own window on the card (<see cref="BarWindow"/>: valirq's
/// debugfs barN while the card is bound to valirq, sysfs resourceN otherwise), so that the stimulus does
/// not depend on the driver under test. Raise i writes the plan's <see cref="Plans.TagScheme"/> value for i
/// (one of its tag bits, rotating; or the plain value when the plan counts only): the card shows the bit
/// back in its interrupt status, the driver reports the status it acknowledged, and
/// <see cref="Analysis.FaultAccounting"/> matches every raise to the report that handled it. The raise loop
/// allocates nothing: times go into a preallocated array; when it is full, raising stops and
/// <see cref="Full"/> says so. A raise whose write fails is not counted (and is reported).
/// While the gate is closed, or while there is no window (the card is changing drivers), no raise is
/// made (a card on a shared INTx line must not assert it while no driver has a handler installed: see
/// docs/faults.md).
/// </summary>
public sealed class Stimulator : IDisposable
{
    private volatile BarWindow? _window;
    private readonly ValirqReg _raise;
    private readonly Plans.TagScheme _tags;
    private readonly long _periodNs;
    private readonly int _cpu;
    private readonly int _priority;
    private readonly long[] _raiseNs;
    // The gate: a Dekker-style handshake instead of a lock (a contended Monitor allocates), so that the raise
    // loop stays allocation-free. The loop marks itself inside a raise, then reads the gate; Gate(false)
    // closes it, then waits while the loop is inside: afterwards no raise is in progress and none follows.
    private int _open;
    private int _inRaise;
    private volatile bool _stop;
    private int _count;
    private long _writeErrors;
    private int _lastErrno;
    private Thread? _thread;

    public Stimulator(string pciAddress, Plans.Stimulus stimulus, int rateHz, int capacity, int cpu, int priority)
    {
        _raise = stimulus.Register;
        _tags = stimulus.Tags;
        _periodNs = 1_000_000_000L / rateHz;
        _cpu = cpu;
        _priority = priority;
        _raiseNs = new long[capacity];
        _window = BarWindow.ForCard(pciAddress, _raise.Bar);
        _window.Prepare();
    }

    /// <summary>The window raises go through now (null while the card changes drivers); the harness reads the card through it too.</summary>
    public BarWindow? Window => _window;

    /// <summary>Raise writes that failed (not counted as raises), and the errno of the last.</summary>
    public long WriteErrors => Interlocked.Read(ref _writeErrors);
    public int LastErrno => Volatile.Read(ref _lastErrno);

    /// <summary>
    /// Replaces the window (null: none, no raise is made) and disposes the old one, with no raise in
    /// progress meanwhile; the gate is as it was. Before a bind to valirq the window must be gone (valirq's
    /// reservation zaps a sysfs mapping: a raise through it would fault); after it, valirq's debugfs barN.
    /// </summary>
    public void Use(BarWindow? window)
    {
        var wasOpen = Volatile.Read(ref _open) != 0;
        Gate(false);
        var old = _window;
        window?.Prepare();
        _window = window;
        if (!ReferenceEquals(old, window)) old?.Dispose();
        if (wasOpen) Gate(true);
    }
    public int Count => Volatile.Read(ref _count);
    public bool Full => Count == _raiseNs.Length;
    public string? Problem { get; private set; }

    /// <summary>How raises are tagged: raise i wrote <see cref="Plans.TagScheme.RaiseValue"/>(i).</summary>
    public Plans.TagScheme Tags => _tags;

    /// <summary>Raise times (CLOCK_MONOTONIC ns before the write) so far.</summary>
    public ReadOnlySpan<long> Raises => _raiseNs.AsSpan(0, Count);

    public long LastRaiseNs => Count == 0 ? -1 : _raiseNs[Count - 1];

    public void Start(bool open)
    {
        _open = open ? 1 : 0;
        _thread = new Thread(Loop, maxStackSize: 256 * 1024) { IsBackground = true, Name = "fault-stimulus" };
        _thread.Start();
    }

    /// <summary>Opens or closes the gate. When this returns closed, no raise is in progress and none follows.</summary>
    public void Gate(bool open)
    {
        Interlocked.Exchange(ref _open, open ? 1 : 0);
        if (open) return;
        var spin = new SpinWait();
        while (Volatile.Read(ref _inRaise) != 0) spin.SpinOnce();
    }

    // Fully optimized from the first call (no tiering, no on-stack replacement mid-run).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Loop()
    {
        try
        {
            RealtimeCalls.SetAffinity([_cpu]);
            RealtimeCalls.SetFifo(_priority);
        }
        catch (InteropException e)
        {
            Problem = e.Message;
        }
        // Every call the loop makes, once before it counts: the first call of a P/Invoke binds it (and allocates).
        MonotonicClock.SleepUntil(MonotonicClock.NowNs());
        _ = Volatile.Read(ref _open);
        _window?.Prepare();
        var next = MonotonicClock.NowNs();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        while (!_stop)
        {
            next += _periodNs;
            MonotonicClock.SleepUntil(next);
            Interlocked.Exchange(ref _inRaise, 1);
            if (Volatile.Read(ref _open) != 0 && _count < _raiseNs.Length && _window is { } w)
            {
                var t = MonotonicClock.NowNs();
                if (w.TryWrite(_raise, _tags.RaiseValue(_count)))
                {
                    _raiseNs[_count] = t;
                    Volatile.Write(ref _count, _count + 1);
                }
                else
                {
                    Volatile.Write(ref _lastErrno, w.LastErrno);
                    Interlocked.Increment(ref _writeErrors);
                }
            }
            Volatile.Write(ref _inRaise, 0);
        }
        AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    }

    /// <summary>What the raise loop allocated (0 is the contract; the results carry it and a lab test checks it).</summary>
    public long AllocatedBytes { get; private set; }

    public void Stop()
    {
        _stop = true;
        _thread?.Join();
    }

    public void Dispose()
    {
        Stop();
        _window?.Dispose();
        _window = null;
    }
}
