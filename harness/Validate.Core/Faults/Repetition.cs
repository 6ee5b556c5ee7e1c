using Validate.Devices;
using Validate.Interop;
using Validate.Plans;

namespace Validate.Faults;

/// <summary>
/// One injection and the recovery after it, as the injector's phases see it: the driver serving the card
/// when it began, the stimulus, the card, the timeline being written (ns, CLOCK_MONOTONIC), the problems
/// met, valirq's sysfs before and after the release.
/// </summary>
public sealed class Repetition
{
    private readonly FaultSuiteRun _run;
    internal readonly List<(string Name, long Ns)> Events = [];
    internal readonly List<string> Problems = [];

    internal Repetition(FaultSuiteRun run, int index, DriverProcess driver)
    {
        _run = run;
        Index = index;
        Driver = driver;
        Before = run.Counters.Read();
    }

    /// <summary>1-based, as reports number them.</summary>
    public int Index { get; }
    public DriverProcess Driver { get; }
    public Stimulator Stimulus => _run.Stimulus!;
    public PciDevice Card => _run.Card;
    public SuitePlan Suite => _run.Suite;
    public FaultPlan Fault => _run.Fault;
    public int TimeoutMs => _run.Fault.RecoveryTimeoutMs;
    public long PeriodNs => 1_000_000_000L / _run.Suite.RateHz;
    public int StimulusBar => _run.Plan.Stimulus!.Register.Bar;
    /// <summary>valirq's counters, per module load or binding (a reload or rebind resets them).</summary>
    public CounterSegments Counters => _run.Counters;

    /// <summary>valirq's sysfs before the fault, and after the release (null when it could not be read: unbound).</summary>
    public ValirqSysfs Before { get; }
    public ValirqSysfs? After { get; private set; }

    public long FaultNs { get; internal set; } = -1;
    /// <summary>When the driver stopped serving before the fault itself (SIGSTOP of a hang), else -1.</summary>
    public long StopNs { get; set; } = -1;

    public void Event(string name, long ns) => Events.Add((name, ns));

    public void Problem(string text) => Problems.Add(text);

    /// <summary>The stimulus paused, the instant taken, SIGKILL sent: the fault of the kill kinds. Returns the instant.</summary>
    public long Kill()
    {
        Stimulus.Gate(false);
        var t = MonotonicClock.NowNs();
        _ = Driver.Signal(Signals.SIGKILL);
        return t;
    }

    /// <summary>Waits for the driver's exit (SIGKILL after the recovery timeout); the exit goes in the timeline. Returns when it was seen.</summary>
    public long AwaitExit()
    {
        if (!Driver.WaitExit(TimeoutMs))
        {
            Problem($"the driver did not exit within {TimeoutMs} ms");
            _ = Driver.Signal(Signals.SIGKILL);
            Driver.WaitExit(TimeoutMs);
        }
        Event($"exit ({Driver.ExitCode})", Driver.ExitSeenNs);
        return Driver.ExitSeenNs;
    }

    /// <summary>
    /// What the release left on the line, with the stimulus paused (<see cref="FaultSuiteRun.CheckLine"/>);
    /// then, on MSI, raises resume for the rest of the recovery (they must reach the next driver).
    /// </summary>
    public void CheckLine(bool readCounters, bool driverBack = false)
    {
        After = readCounters ? Counters.Read() : null;
        _run.CheckLine($"repetition {Index}", Before, After, Stimulus.Window, driverBack);
        if (!_run.Gated) Stimulus.Gate(true);
    }

    /// <summary>The driver under test sits on vfio-pci.</summary>
    public bool Vfio => _run.Vfio;

    /// <summary>Waits for /dev/valirq-ADDRESS (vfio: /dev/vfio/GROUP) to come back after a bind.</summary>
    public void WaitDeviceNode()
    {
        var path = Vfio ? $"/dev/vfio/{VfioSetup.GroupOf(Card.Address, out _)}" : ValirqDevice.PathOf(Card.Address);
        var deadline = Environment.TickCount64 + TimeoutMs;
        while (!File.Exists(path))
        {
            if (Environment.TickCount64 > deadline)
                throw new ValidateException(ExitCodes.Failed, $"{path} did not come back within {TimeoutMs} ms; the card is left without its driver");
            Thread.Sleep(1);
        }
    }

    /// <summary>Writes a sysfs or debugfs control file; a failure is the suite's (or, without permission, the machine's).</summary>
    public static void WriteSysfs(string path, string value)
    {
        try { File.WriteAllText(path, value); }
        catch (IOException e) { throw new ValidateException(ExitCodes.Failed, $"writing '{value}' to {path}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new ValidateException(ExitCodes.SetupError, $"writing {path}: {e.Message}; fault injection needs root"); }
    }
}

/// <summary>valirq's sysfs counters of a card summed over the segments of a suite: a reload or a rebind starts them again at 0.</summary>
public sealed class CounterSegments(string pciAddress)
{
    private ValirqSysfs _start = ValirqSysfs.Absent;

    public Dictionary<string, long> Totals { get; } = [];

    public ValirqSysfs Read() => ValirqSysfs.Read(pciAddress);

    public void BeginSegment() => _start = Read();

    /// <summary>Adds the counters' change since <see cref="BeginSegment"/> (up to <paramref name="end"/>, else now).</summary>
    public void EndSegment(ValirqSysfs? end = null)
    {
        end ??= Read();
        foreach (var n in ValirqSysfs.CounterNames)
            if (end.Counters.TryGetValue(n, out var e) && _start.Counters.TryGetValue(n, out var s))
                Totals[n] = Totals.GetValueOrDefault(n) + (e - s);
    }
}
