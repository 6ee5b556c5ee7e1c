using Validate.Recording;

namespace Validate.Backends;

/// <summary>What one iteration of a measurement loop produced.</summary>
public enum Outcome
{
    /// <summary>A sample was taken; record it.</summary>
    Measured,
    /// <summary>The stimulus got no interrupt within the timeout: counted lost.</summary>
    Lost,
    /// <summary>The iteration failed (an errno from the device): counted, the loop goes on.</summary>
    Error,
}

/// <summary>Counters a backend keeps during a run (plain fields: the measuring thread owns them).</summary>
public sealed class BackendCounters
{
    /// <summary>Stimuli issued (interrupt backends) or periods elapsed (timer).</summary>
    public long Stimuli { get; set; }
    /// <summary>Event records (valirq) or wake-ups (uio, timer) received.</summary>
    public long Events { get; set; }
    /// <summary>Interrupts the kernel counted for the received events.</summary>
    public long Interrupts { get; set; }
    /// <summary>Stimuli that got no interrupt within the timeout.</summary>
    public long Lost { get; set; }
    /// <summary>Interrupts beyond one per stimulus (duplicates, or a card that fired on its own).</summary>
    public long Extra { get; set; }
    /// <summary>Timer periods that passed without a wake-up (cyclictest skips these silently; we count them).</summary>
    public long Missed { get; set; }
    /// <summary>Records valirq dropped because its ring was full.</summary>
    public long Overruns { get; set; }
    /// <summary>Calls that failed (errno), with the last errno.</summary>
    public long Errors { get; set; }
    public int LastErrno { get; set; }
}

/// <summary>
/// A way of measuring latency. Three phases, as in every measurement here: <see cref="Open"/> (set up:
/// open, program, allocate; may allocate and throw), <see cref="MeasureOne"/> (the loop body: pacing, one
/// stimulus and its wake-up, arithmetic into the caller's sample; allocates nothing, logs nothing, never
/// throws for a device error: it counts it), and <see cref="Dispose"/> (quiesce and release).
/// One instance belongs to one measuring thread.
/// </summary>
public abstract class LatencyBackend : IDisposable
{
    protected LatencyBackend(long periodNs) => PeriodNs = periodNs;

    /// <summary>Stage names in the order <see cref="MeasureOne"/> fills them.</summary>
    public abstract IReadOnlyList<string> Stages { get; }

    /// <summary>Pacing: the loop waits for the next period before each stimulus; 0 runs back to back.</summary>
    public long PeriodNs { get; }

    public BackendCounters Counters { get; } = new();

    /// <summary>Facts for the results (IRQ number, mode as enabled, device path).</summary>
    public Dictionary<string, string> Facts { get; } = [];

    public abstract void Open();

    public abstract Outcome MeasureOne(ref Sample sample);

    /// <summary>Called once, right before the first measured iteration, to restart pacing from now.</summary>
    public virtual void ResetPacing()
    {
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
