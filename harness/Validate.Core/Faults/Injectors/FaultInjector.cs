namespace Validate.Faults.Injectors;

/// <summary>
/// One kind of fault (docs/faults.md), as the phases of a repetition, in the order
/// <see cref="FaultSuiteRunner"/> runs them:
/// <list type="number">
/// <item><see cref="Prepare"/>: what leads up to the fault (hold in the handler, a random delay, let the driver catch up, SIGSTOP);</item>
/// <item><see cref="Inject"/>: the fault itself, at an instant (the timeline's zero), with the stimulus paused;</item>
/// <item><see cref="AwaitRelease"/>: the driver gone (or told) and valirq's release run: the instant the card was left;</item>
/// <item><see cref="CheckLine"/>: the line as the release left it, the stimulus still paused; then MSI raises resume;</item>
/// <item><see cref="Recover"/>: the driver stack put back before the next driver starts (rebind, reload);</item>
/// <item>restart (when <see cref="Restarts"/>) and recovery: ready, first interrupt, timed by the runner for every kind.</item>
/// </list>
/// A new fault kind is one subclass in this folder and one entry in <see cref="FaultInjectors"/> (and its
/// name in <see cref="Plans.FaultPlan.Kinds"/>).
/// </summary>
public abstract class FaultInjector
{
    /// <summary>The plan's name of the kind (fault:kind).</summary>
    public abstract string Kind { get; }

    /// <summary>The fault's instant in the repetition's timeline ("SIGKILL", "unbind", ...).</summary>
    public abstract string FaultEvent { get; }

    /// <summary>False when the driver process lives on and opens the card again by itself (revoke).</summary>
    public virtual bool Restarts => true;

    public virtual void Prepare(Repetition r) { }

    /// <summary>Makes the fault with the stimulus paused; returns its instant (CLOCK_MONOTONIC ns).</summary>
    public abstract long Inject(Repetition r);

    /// <summary>Waits until valirq's release has run; returns when the card was left (default: the driver's exit, seen).</summary>
    public virtual long AwaitRelease(Repetition r) => r.AwaitExit();

    /// <summary>The line after the release (default: valirq's counters read, the card and INTx checked).</summary>
    public virtual void CheckLine(Repetition r) => r.CheckLine(readCounters: true);

    public virtual void Recover(Repetition r) { }
}
