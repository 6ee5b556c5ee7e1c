using Validate.Devices;
using Validate.Interop;

namespace Validate.Faults.Injectors;

/// <summary>
/// The card unbound from valirq under the driver (sysfs driver/unbind) and bound again (drivers_probe;
/// driver_override stays valirq). valirq's remove runs the release before the unbind returns, and its
/// sysfs counters go with the binding: the line is checked from the card alone.
/// </summary>
public sealed class Rebind : FaultInjector
{
    public override string Kind => "rebind";
    public override string FaultEvent => "unbind";

    private long _unboundNs;

    public override long Inject(Repetition r)
    {
        r.Stimulus.Gate(false);
        var t = MonotonicClock.NowNs();
        var unbind = Path.Combine(PciDevice.SysfsRoot, r.Card.Address, "driver", "unbind");
        if (r.Vfio)
        {
            // vfio-pci's remove waits until the device is released, asking its user through the request
            // eventfd meanwhile: a driver that does not honour it would hold the unbind forever. Give it
            // the recovery time, then kill it (its exit releases the device).
            var pending = Task.Run(() => Repetition.WriteSysfs(unbind, r.Card.Address));
            if (!pending.Wait(r.TimeoutMs))
            {
                r.Problem($"the driver did not let go of the device within {r.TimeoutMs} ms of the unbind (vfio-pci's request eventfd not honoured); killed");
                _ = r.Driver.Signal(Signals.SIGKILL);
            }
            pending.GetAwaiter().GetResult();
        }
        else
            Repetition.WriteSysfs(unbind, r.Card.Address);
        _unboundNs = MonotonicClock.NowNs();
        r.Event("unbound", _unboundNs);
        // Unbound, valirq's debugfs window went with it and the BARs are free: sysfs resourceN.
        r.Stimulus.Use(BarWindow.ForCard(r.Card.Address, r.StimulusBar));
        return t;
    }

    public override long AwaitRelease(Repetition r)
    {
        r.AwaitExit();
        // valirq's remove ran the quiesce before the unbind returned.
        return _unboundNs;
    }

    public override void CheckLine(Repetition r) => r.CheckLine(readCounters: false);

    public override void Recover(Repetition r)
    {
        r.Counters.EndSegment(r.Before);
        // No raise through sysfs resourceN while valirq binds: its reservation zaps that mapping.
        r.Stimulus.Use(null);
        Repetition.WriteSysfs(Path.Combine(PciDevice.SysfsRoot, "..", "drivers_probe"), r.Card.Address);
        r.WaitDeviceNode();
        r.Stimulus.Use(BarWindow.ForCard(r.Card.Address, r.StimulusBar, r.TimeoutMs));
        r.Event("rebound", MonotonicClock.NowNs());
        r.Counters.BeginSegment();
    }
}
