using Validate.Devices;
using Validate.Interop;

namespace Validate.Faults.Injectors;

/// <summary>
/// valirq itself reloaded under load: the driver asked to exit, then rmmod and insmod (or modprobe)
/// while the stimulus goes on raising through sysfs resourceN (on MSI those raises must reach the next
/// driver); the module's registration binds the card again (driver_override is still valirq).
/// </summary>
public sealed class Reload : FaultInjector
{
    public override string Kind => "reload";
    public override string FaultEvent => "exit asked";

    public override long Inject(Repetition r)
    {
        r.Stimulus.Gate(false);
        var t = MonotonicClock.NowNs();
        r.Driver.Send("exit");
        return t;
    }

    public override void Recover(Repetition r)
    {
        r.Counters.EndSegment();
        var ko = ModulePath();
        // An open debugfs file of valirq holds a reference on the module: close the window first.
        r.Stimulus.Use(null);
        var x = ProcessRunner.Capture("rmmod", ["valirq"], TimeSpan.FromMilliseconds(r.TimeoutMs));
        if (x.Status != 0) throw new ValidateException(ExitCodes.Failed, $"rmmod valirq failed: {x.Stderr.Trim()} (is another process holding a valirq device or debugfs file open?)");
        r.Event("rmmod", MonotonicClock.NowNs());
        // While the module is out the card is unbound, its BARs free: raise through sysfs resourceN for
        // a while, and drop that window before the module's load binds the card again (valirq's
        // reservation zaps the mapping).
        r.Stimulus.Use(BarWindow.ForCard(r.Card.Address, r.StimulusBar));
        Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(50, 20_000.0 / r.Suite.RateHz)));
        r.Stimulus.Use(null);
        x = ko == "modprobe" ? ProcessRunner.Capture("modprobe", ["valirq"], TimeSpan.FromMilliseconds(r.TimeoutMs))
            : ProcessRunner.Capture("insmod", [ko], TimeSpan.FromMilliseconds(r.TimeoutMs));
        if (x.Status != 0) throw new ValidateException(ExitCodes.Failed, $"loading valirq again ({ko}) failed: {x.Stderr.Trim()}; the card is left without its driver");
        r.Event("insmod", MonotonicClock.NowNs());
        r.WaitDeviceNode();
        r.Stimulus.Use(DebugfsBar.Open(r.Card.Address, r.StimulusBar, r.TimeoutMs));
        r.Event("bound", MonotonicClock.NowNs());
        r.Counters.BeginSegment();
    }

    /// <summary>The module to load again: VALIDATE_VALIRQ_KO, an installed valirq (DKMS: modprobe), or kmod/valirq.ko of this checkout.</summary>
    private static string ModulePath()
    {
        if (Environment.GetEnvironmentVariable("VALIDATE_VALIRQ_KO") is { Length: > 0 } env) return env;
        if (ProcessRunner.Capture("modinfo", ["-n", "valirq"], TimeSpan.FromSeconds(5)) is { Status: 0 } m && m.Stdout.Trim().StartsWith("/lib/modules", StringComparison.Ordinal))
            return "modprobe";
        return Path.Combine(RepositoryLayout.Find().Kmod, "valirq.ko");
    }
}
