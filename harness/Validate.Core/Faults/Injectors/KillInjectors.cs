using Validate.Interop;

namespace Validate.Faults.Injectors;

/// <summary>SIGKILL while the driver is inside its interrupt handler (it reported "enter" after a "hold").</summary>
public sealed class KillInHandler : FaultInjector
{
    public override string Kind => "kill-in-handler";
    public override string FaultEvent => "SIGKILL";

    public override void Prepare(Repetition r)
    {
        r.Driver.Send("hold");
        if (!r.Driver.WaitFor(d => d.EnterNs >= 0, r.TimeoutMs)) r.Problem($"the driver never reported being in its handler within {r.TimeoutMs} ms");
    }

    public override long Inject(Repetition r)
    {
        var t = r.Kill();
        if (r.Driver.EnterNs >= 0) r.Event("in handler", r.Driver.EnterNs);
        return t;
    }
}

/// <summary>SIGKILL at a random instant within two periods' hundredths: anywhere in the driver's loop.</summary>
public sealed class KillRandom : FaultInjector
{
    public override string Kind => "kill-random";
    public override string FaultEvent => "SIGKILL";

    public override void Prepare(Repetition r) => Thread.Sleep(TimeSpan.FromTicks(Random.Shared.NextInt64(0, 2 * r.PeriodNs / 100 + 1)));

    public override long Inject(Repetition r) => r.Kill();
}

/// <summary>SIGKILL while the driver is idle: the stimulus paused and every raise handled first.</summary>
public sealed class KillIdle : FaultInjector
{
    public override string Kind => "kill-idle";
    public override string FaultEvent => "SIGKILL";

    public override void Prepare(Repetition r)
    {
        r.Stimulus.Gate(false);
        var last = r.Stimulus.LastRaiseNs;
        if (!r.Driver.WaitFor(d => d.LastIrqReadNs >= last, r.TimeoutMs)) r.Problem($"the driver did not catch up with the raises within {r.TimeoutMs} ms");
    }

    public override long Inject(Repetition r) => r.Kill();
}

/// <summary>A hung driver: SIGSTOP, the plan's hang time, then SIGKILL as a watchdog would.</summary>
public sealed class Hang : FaultInjector
{
    public override string Kind => "hang";
    public override string FaultEvent => "SIGKILL (watchdog)";

    public override void Prepare(Repetition r)
    {
        r.StopNs = MonotonicClock.NowNs();
        _ = r.Driver.Signal(Signals.SIGSTOP);
        r.Event("SIGSTOP", r.StopNs);
        Thread.Sleep(r.Fault.HangMs);
    }

    public override long Inject(Repetition r) => r.Kill();
}
