using Validate.Devices;
using Validate.Interop;

namespace Validate.Faults.Injectors;

/// <summary>
/// valirq takes the card away from its opener (debugfs revoke, as a supervisor would): the driver sees
/// the revocation and opens the card again, in the same process. A revoked opener's release runs no
/// quiesce steps by design, and the card is the new opener's at once: only valirq's counters are read.
/// </summary>
public class Revoke : FaultInjector
{
    public override string Kind => "revoke";
    public override string FaultEvent => "revoke";
    public override bool Restarts => false;

    public override long Inject(Repetition r)
    {
        r.Stimulus.Gate(false);
        var t = MonotonicClock.NowNs();
        Repetition.WriteSysfs(ValirqDebugfs.Revoke(r.Card.Address), "1");
        return t;
    }

    public override long AwaitRelease(Repetition r)
    {
        var faultNs = r.FaultNs;
        if (!r.Driver.WaitFor(d => d.RevokedNs >= faultNs, r.TimeoutMs)) r.Problem($"the driver did not notice the revocation within {r.TimeoutMs} ms");
        var t = r.Driver.RevokedNs >= faultNs ? r.Driver.RevokedNs : MonotonicClock.NowNs();
        r.Event("revoked, reopening", t);
        return t;
    }

    public override void CheckLine(Repetition r) => r.CheckLine(readCounters: true, driverBack: true);
}

/// <summary>
/// The revocation between the driver's read of the status and its acknowledgement: the driver is held in its
/// handler (hold, enter), the card revoked, then let go ("go"): its ack steps write to the scratch page that
/// replaced the card's registers and its re-arm fails with EPERM, so it reports what it read as irq-revoked,
/// and the reopened driver finds the same status bits still set at the card. The accounting must count that
/// as the same raise served again, not handled twice, and lose nothing.
/// </summary>
public sealed class RevokeInHandler : Revoke
{
    private long _asked;

    public override string Kind => "revoke-in-handler";

    public override void Prepare(Repetition r)
    {
        // The same process serves every repetition: its enter line of this one comes after the ask.
        _asked = MonotonicClock.NowNs();
        r.Driver.Send("hold");
        if (!r.Driver.WaitFor(d => d.EnterNs >= _asked, r.TimeoutMs)) r.Problem($"the driver never reported being in its handler within {r.TimeoutMs} ms");
    }

    public override long Inject(Repetition r)
    {
        var t = base.Inject(r);
        if (r.Driver.EnterNs >= _asked)
            r.Event("in handler", r.Driver.EnterNs);
        // Let go of the held handler, or call off the hold that never came (Prepare said so): either way no hold is
        // left pending for the reopened driver's first interrupt.
        r.Driver.Send("go");
        return t;
    }
}
