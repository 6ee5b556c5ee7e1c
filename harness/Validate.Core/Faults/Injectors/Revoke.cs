using Validate.Devices;
using Validate.Interop;

namespace Validate.Faults.Injectors;

/// <summary>
/// valirq takes the card away from its opener (debugfs revoke, as a supervisor would): the driver sees
/// the revocation and opens the card again, in the same process. A revoked opener's release runs no
/// quiesce steps by design, and the card is the new opener's at once: only valirq's counters are read.
/// </summary>
public sealed class Revoke : FaultInjector
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
