using System.Globalization;
using Validate.Analysis;
using Validate.Devices;
using Validate.Engine;
using Validate.Faults.Injectors;
using Validate.Interop;
using Validate.Plans;
using Validate.Results;

namespace Validate.Faults;

/// <summary>
/// The fault suites (docs/faults.md): a driver process serves the card through valirq while a stimulus
/// thread makes the card interrupt; the plan's fault (<see cref="FaultInjector"/>) is injected repetition
/// after repetition; after each the line is checked and the driver restarted, and the recovery is timed:
/// exit, process start, setup, first interrupt. On a shared line a neighbour card keeps interrupting,
/// served by its own driver through uio. Afterwards every raise is accounted for and the card is checked;
/// the verdict is <see cref="FaultVerdict"/>'s.
/// </summary>
public sealed class FaultSuiteRunner : ISuiteRunner
{
    private FaultSuiteRun? _run;

    public bool Runs(SuitePlan suite) => suite.IsFault;

    public string Describe(SuitePlan suite)
    {
        var f = suite.Fault!;
        return $"fault {f.Kind} x{f.Repetitions}, driver {f.Driver.Name}, {suite.Mode}{(f.Neighbour ? ", neighbour on the shared line" : "")}";
    }

    public void Run(SuiteScope scope)
    {
        _run = new FaultSuiteRun(scope, FaultInjectors.For(scope.Suite.Fault!.Kind));
        try
        {
            _run.Execute();
        }
        catch
        {
            _run = null; // the raise log (up to 64 MB, locked in memory) goes with the suite
            throw;
        }
    }

    /// <summary>Repetitions done, their rate, the running p99 and max of the recovery (fault to first interrupt), from another thread.</summary>
    public SuiteProgress? Progress(SuitePlan suite, double elapsedS) =>
        _run is { } run && run.RecoveryProgress() is var (done, p99, max) && done > 0
            ? new SuiteProgress(suite.Name, done, suite.Fault!.Repetitions, "repetitions", elapsedS, done / Math.Max(elapsedS, 1e-3), p99, max, 0)
            : null;

    public void Conclude(SuiteScope scope)
    {
        var run = _run!;
        List<string> problems;
        lock (run.ProblemList) problems = [.. run.ProblemList];
        FaultVerdict.Judge(scope.Suite, scope.Plan.Release, run.Card.Irq, problems, RunAbort.Requested, scope.Result);
        _run = null;
    }
}

/// <summary>One fault suite's run: its set-up, the repetitions, the drain and what is left to account for.</summary>
internal sealed class FaultSuiteRun
{
    private readonly SuiteScope _scope;
    private readonly FaultInjector _injector;
    private readonly List<DriverReport> _reports = [];
    private readonly List<DriverReport> _nbReports = [];
    private readonly List<ExplainedWindow> _windows = [];
    private readonly List<(long From, long To)> _faultSpans = [];
    private string _program = "";
    private string _logDir = "";

    // Recovery times of the repetitions done, for the progress line: written by this run's thread, the
    // count published after the value, read by the progress sampler's.
    private readonly long[] _recoveryNs;
    private int _recovered;

    public FaultSuiteRun(SuiteScope scope, FaultInjector injector)
    {
        _scope = scope;
        _injector = injector;
        Fault = scope.Suite.Fault!;
        _recoveryNs = new long[Math.Max(1, Fault.Repetitions)];
    }

    /// <summary>Repetitions recovered so far, and the p99 and max of their recovery; safe from any thread.</summary>
    public (int Done, long P99Ns, long MaxNs) RecoveryProgress()
    {
        var n = Volatile.Read(ref _recovered);
        if (n == 0) return (0, -1, 0);
        var copy = _recoveryNs[..n];
        Array.Sort(copy);
        return (n, copy[Math.Min(n - 1, (int)Math.Ceiling(0.99 * n) - 1)], copy[^1]);
    }

    public Plan Plan => _scope.Plan;
    public SuitePlan Suite => _scope.Suite;
    public FaultPlan Fault { get; }
    public FaultResult Result { get; private set; } = null!;
    public PciDevice Card { get; private set; } = null!;
    public Stimulator? Stimulus { get; private set; }
    public CounterSegments Counters { get; private set; } = null!;
    /// <summary>Problems met on the way (each fails the suite), from this thread and the drivers' channel threads.</summary>
    public List<string> ProblemList { get; } = [];
    /// <summary>On a shared INTx line the stimulus pauses while no driver serves the card; on MSI it goes on through every fault.</summary>
    public bool Gated => Suite.Mode is not ("msi" or "msix");

    /// <summary>The driver under test sits on vfio-pci (mainline's release, not valirq's, follows a fault).</summary>
    public bool Vfio => Suite.Backend == BackendKind.Vfio;

    /// <summary>Through vfio-pci: the function has a reset method, so vfio-pci resets it on release and open.</summary>
    public bool VfioResets => Result.VfioReset?.StartsWith("reset", StringComparison.Ordinal) == true;

    /// <summary>The kernel driver the card is bound to for the suite.</summary>
    public string KernelDriver => Vfio ? "vfio-pci" : "valirq";

    public void Problem(string p)
    {
        lock (ProblemList) ProblemList.Add(p);
    }

    public void Execute()
    {
        var (plan, suite, f, result) = (Plan, Suite, Fault, _scope.Result);
        if (plan.Stimulus is null) throw new ValidateException(ExitCodes.InputError, $"{suite.Name}: the plan has no stimulus");
        _program = DriverProcess.ResolveProgram(f.Driver);
        Result = new FaultResult
        {
            Kind = f.Kind, Driver = f.Driver.Name, Program = _program, Mode = suite.Mode, RepetitionsPlanned = f.Repetitions,
            ReleasePolicy = plan.Release,
        };
        result.Fault = Result;
        Card = _scope.FindCard();
        Counters = new CounterSegments(Card.Address);
        result.Facts["driver"] = $"{f.Driver.Name} ({_program})";
        result.Facts["fault"] = f.Kind;
        result.Facts["stimulus"] = $"{suite.RateHz}/s{(Gated ? ", paused while no driver serves the shared line" : ", through every fault")}";
        result.Facts["release"] = plan.Release;
        if (Vfio)
        {
            result.Facts["release"] = "vfio-pci's (interrupts off, bus mastering off, the function reset when it can be)";
            Result.ReleasePolicy = "vfio-pci";
            Result.VfioReset = VfioResetMethod(Card.Address);
            result.Facts["vfioReset"] = Result.VfioReset;
        }
        PciDevice? nbCard = null;
        if (f.Neighbour)
        {
            nbCard = CardLocator.FindFlood(plan.Neighbour.Card, Card.Address);
            if (nbCard is null || nbCard.Irq != Card.Irq)
            {
                result.Verdict = Verdict.Skipped;
                result.Message = nbCard is null
                    ? $"needs a neighbour card ({plan.Neighbour.Card.Name}, {plan.Neighbour.Card.Vendor:x4}:{plan.Neighbour.Card.Device:x4}) on the card's shared line (the virtual lab's shared-intx or mixed-intx topology); this machine has none"
                    : $"the other card {nbCard.Address} is on IRQ {nbCard.Irq}, not on the card's line {Card.Irq}: no shared line here";
                return;
            }
        }

        Stimulator? nbStim = null;
        DriverProcess? drv = null, nbDrv = null;
        _logDir = Path.Combine(_scope.Context.OutDir, "drivers");
        Directory.CreateDirectory(_logDir);
        var lineIrqBefore = Gated ? ProcInterrupts.Count(Card.Irq) : null;
        try
        {
            _scope.Bind(Card.Address, KernelDriver);
            if (!Vfio) CheckResetPolicy();
            var capacity = (int)Math.Min(8_000_000, (long)suite.RateHz * (f.Repetitions * (f.RecoveryTimeoutMs / 1000L + f.HangMs / 1000L + 2) + 120));
            var stim = Stimulus = new Stimulator(Card.Address, plan.Stimulus, suite.RateHz, capacity, suite.Cpus[0], suite.Priority);
            if (nbCard is not null)
            {
                _scope.Bind(nbCard.Address, "uio_pci_generic");
                nbStim = new Stimulator(nbCard.Address, plan.Neighbour.Stimulus!, suite.RateHz, capacity, suite.Cpus[0], suite.Priority);
                nbDrv = StartNeighbour(nbCard);
                nbStim.Start(open: true);
            }
            _scope.StartLoads(Card);
            Counters.BeginSegment();
            drv = StartDriver(0);
            if (!drv.WaitFor(d => d.ReadyNs >= 0, f.RecoveryTimeoutMs))
                throw new ValidateException(ExitCodes.SetupError, $"driver {f.Driver.Name} did not report ready within {f.RecoveryTimeoutMs} ms (exit {Describe(drv)}); see {drv.LogPath}");
            stim.Start(open: true);
            if (!drv.WaitFor(d => d.FirstIrqNs >= 0, f.RecoveryTimeoutMs))
                throw new ValidateException(ExitCodes.Failed, $"driver {f.Driver.Name} handled no interrupt within {f.RecoveryTimeoutMs} ms of starting; see {drv.LogPath}");
            _scope.Log($"{suite.Name}: {f.Kind} x{f.Repetitions} into {f.Driver.Name} ({suite.Mode}){(nbCard is null ? "" : $", neighbour {nbCard.Address} on IRQ {Card.Irq}")}");

            // Interrupts flow between faults, and after the last one as after the others: at least 20 periods,
            // at least 50 ms. Without the stretch after the last, the drain began at the restarted driver's first
            // interrupt, and a raise made in its first milliseconds that the card delivered only with the next
            // raise of its tag (coalesced, as after every other repetition) had no next raise: counted lost
            // (the 82574L model on MSI, 1 run in 6 in one lab boot, 2 CI runs).
            var flow = TimeSpan.FromMilliseconds(Math.Max(50, 20_000.0 / suite.RateHz));
            var repeated = 0;
            for (int rep = 0; rep < f.Repetitions && !RunAbort.Requested; rep++)
            {
                Thread.Sleep(flow);
                drv = Repeat(rep + 1, drv, out var recovered);
                if (!recovered) break;
                repeated++;
            }
            if (repeated > 0 && !RunAbort.Requested) Thread.Sleep(flow);

            // Drain: no more raises; the driver handles what is pending, then stops cleanly.
            stim.Gate(false);
            // A driver just restarted by the last repetition may still be catching up: give it the recovery
            // time, and say so when it does not make it (its unhandled raises are then counted lost).
            var last = stim.LastRaiseNs;
            var drain = Math.Max(suite.TimeoutMs, f.RecoveryTimeoutMs);
            if (last >= 0 && !drv.WaitFor(d => d.LastIrqReadNs >= last, drain))
                Problem($"driver {f.Driver.Name} had not handled the last raise {drain} ms after the stimulus stopped (exit {Describe(drv)})");
            nbStim?.Gate(false);
            var nbLast = nbStim?.LastRaiseNs ?? -1;
            if (nbDrv is not null && nbLast >= 0 && !nbDrv.WaitFor(d => d.LastIrqReadNs >= nbLast, drain))
                Problem($"the neighbour's driver had not handled its last raise {drain} ms after its stimulus stopped");
            var before = Counters.Read();
            drv.CloseInput();
            if (!drv.WaitExit(f.RecoveryTimeoutMs)) Problem($"driver {f.Driver.Name} did not exit within {f.RecoveryTimeoutMs} ms of its stdin closing");
            var after = Counters.Read();
            CheckLine("after the driver stopped", before, after, stim.Window);
            Counters.EndSegment();
        }
        finally
        {
            var stim = Stimulus;
            stim?.Stop();
            nbStim?.Stop();
            Result.StimulusAllocatedBytes = (stim?.AllocatedBytes ?? 0) + (nbStim?.AllocatedBytes ?? 0);
            drv?.Dispose();
            nbDrv?.Dispose();
            foreach (var d in new[] { drv, nbDrv })
                if (d is not null) Result.ProtocolErrors.AddRange(d.ProtocolErrors.Select(l => $"driver {d.Instance}: '{l}'"));
            if (stim?.Window is { } window) LeaveCard(window);
            if (stim is { WriteErrors: > 0 } se)
                Problem($"the stimulus failed to write the card {se.WriteErrors} times (last {Errno.Name(se.LastErrno)}); those raises were not made");
            if (nbStim is { WriteErrors: > 0 } ne)
                Problem($"the neighbour's stimulus failed to write its card {ne.WriteErrors} times (last {Errno.Name(ne.LastErrno)})");
            _scope.StopLoads();
            if (Gated && lineIrqBefore is { } b0 && ProcInterrupts.Count(Card.Irq) is { } b1)
            {
                Result.LineInterrupts = b1 - b0;
                Result.LineRaises = (stim?.Count ?? 0) + (nbStim?.Count ?? 0);
            }
            Account(stim, nbStim, nbCard);
            stim?.Dispose();
            nbStim?.Dispose();
        }
    }

    /// <summary>One injection, its phases in the injector's order, and the recovery after it. Returns the driver now serving the card.</summary>
    private DriverProcess Repeat(int index, DriverProcess drv, out bool recovered)
    {
        var r = new Repetition(this, index, drv);
        var lastRead = drv.LastIrqReadNs >= 0 ? drv.LastIrqReadNs : drv.ReadyNs;
        // Several MSI-X vectors: what the driver had not read yet reaches back to the vector served longest ago.
        if (Suite.Mode == "msix" && Suite.Vectors is { Count: > 1 } vectors) lastRead = Math.Min(lastRead, drv.OldestLastReadNs(vectors));
        var readyCount = drv.ReadyCount;
        var timeout = Fault.RecoveryTimeoutMs;

        // The stimulus pauses from the fault until the release is checked, so that the check sees only
        // what the driver left, not a raise that came after it; on MSI it resumes right after (raises
        // with no driver must reach the next one), on the shared line when a driver is ready.
        _injector.Prepare(r);
        r.FaultNs = _injector.Inject(r);
        r.Event(_injector.FaultEvent, r.FaultNs);
        var releasedNs = _injector.AwaitRelease(r);
        _injector.CheckLine(r);
        _injector.Recover(r);
        foreach (var p in r.Problems) Problem($"repetition {index}: {p}");

        var next = drv;
        if (_injector.Restarts)
        {
            Result.ProtocolErrors.AddRange(drv.ProtocolErrors.Select(l => $"driver {drv.Instance}: '{l}'"));
            drv.Dispose();
            next = StartDriver(drv.Instance + 1);
            readyCount = 0;
            r.Event("spawn", next.SpawnNs);
        }
        var ready = next.WaitFor(d => d.ReadyCount > readyCount, timeout);
        if (Gated) Stimulus!.Gate(true);
        var first = ready && next.WaitFor(d => d.FirstIrqNs >= 0, timeout);
        var restarted = _injector.Restarts && next.HelloNs >= 0;
        if (restarted) r.Event("hello", next.HelloNs);
        if (ready) r.Event("ready", next.ReadyNs);
        if (first) r.Event("first interrupt", next.FirstIrqNs);
        var parts = new Dictionary<string, long> { ["exit"] = releasedNs - r.FaultNs };
        if (restarted) parts["start"] = next.HelloNs - next.SpawnNs;
        if (ready) parts["setup"] = next.ReadyNs - (restarted ? next.HelloNs : releasedNs);
        if (first)
        {
            parts["first-irq"] = Math.Max(0, next.FirstIrqNs - next.ReadyNs);
            parts["total"] = next.FirstIrqNs - r.FaultNs;
            if (_recovered < _recoveryNs.Length)
            {
                _recoveryNs[_recovered] = parts["total"];
                Volatile.Write(ref _recovered, _recovered + 1);
            }
        }
        else
        {
            var why = !ready ? $"the driver did not report ready within {timeout} ms (exit {Describe(next)}; see {next.LogPath})"
                : $"the driver handled no interrupt within {timeout} ms of ready";
            Problem($"repetition {index}: no recovery: {why}");
        }
        recovered = first;
        var stoppedServing = r.StopNs >= 0 ? r.StopNs : r.FaultNs;
        // Through vfio-pci the next driver's open resets a resettable function again: what was raised
        // until it is ready can have been wiped by that reset, not only by the release.
        var wipedUntil = Vfio && ready && VfioResets ? next.ReadyNs : releasedNs;
        _windows.Add(new ExplainedWindow(Math.Min(lastRead, stoppedServing), wipedUntil, first ? next.FirstIrqNs : long.MaxValue));
        _faultSpans.Add((stoppedServing, first ? next.FirstIrqNs : MonotonicClock.NowNs()));
        // What valirq's release did: its sysfs around the fault, else what the drivers read in a record's
        // flags (the old driver's GONE record on unbind, the new driver's first record).
        var fromSysfs = r.After is null ? ReleaseOutcome.Unobserved : ReleaseOutcome.FromSysfs(r.Before, r.After);
        string? fromDriver = null;
        if (drv.ReleaseNs >= r.FaultNs) fromDriver = drv.Release;
        if (next.ReleaseNs >= r.FaultNs) fromDriver = next.Release;
        // vfio-pci says nothing of its release: a function with a reset method is reset (on release, and
        // again when the next driver opens it), one without is left as it was (INTx and MSI disabled).
        if (Vfio) fromSysfs = VfioResets ? ReleaseOutcome.Reset : ReleaseOutcome.None;
        List<string> repProblems;
        lock (ProblemList) repProblems = [.. ProblemList.Where(p => p.StartsWith($"repetition {index}:", StringComparison.Ordinal))];
        Result.Repetitions.Add(new FaultRepetition(index, r.FaultNs,
            [.. r.Events.OrderBy(e => e.Ns).Select(e => new TimelineEvent(e.Name, e.Ns - r.FaultNs))], parts, repProblems,
            ReleaseOutcome.Combine(fromSysfs, fromDriver)));
        return next;
    }

    private DriverProcess StartDriver(int instance)
    {
        var env = Vfio
            ? DriverProcess.ChannelEnvironment(Plan, $"/dev/vfio/{VfioSetup.GroupOf(Card.Address, out _)}", Card.Address, "vfio-" + Suite.Mode, Suite.VectorMask)
            : DriverProcess.ChannelEnvironment(Plan, ValirqDevice.PathOf(Card.Address), Card.Address, Suite.Mode, Suite.VectorMask);
        if (Fault.VfioReset) env["VALIDATE_DRIVER_VFIO_RESET"] = "1";
        return DriverProcess.Start(Fault.Driver, _program, env, instance, Path.Combine(_logDir, $"{Suite.Name}.log"), Suite.Cpus[0], Suite.Priority - 1,
            r => { lock (_reports) _reports.Add(r); }, Problem);
    }

    /// <summary>The neighbour's driver on the shared line: the same driver program, through uio_pci_generic.</summary>
    private DriverProcess StartNeighbour(PciDevice nbCard)
    {
        var uio = Directory.GetDirectories(Path.Combine(PciDevice.SysfsRoot, nbCard.Address, "uio")).Select(Path.GetFileName).First();
        var env = DriverProcess.ChannelEnvironment(Plan.Neighbour, $"/dev/{uio}", nbCard.Address, "uio", 0);
        var nb = DriverProcess.Start(Fault.Driver, _program, env, 1000, Path.Combine(_logDir, $"{Suite.Name}-neighbour.log"), Suite.Cpus[0], Suite.Priority - 1,
            r => { lock (_nbReports) _nbReports.Add(r); }, Problem);
        if (!nb.WaitFor(d => d.ReadyNs >= 0, Fault.RecoveryTimeoutMs))
        {
            nb.Dispose();
            throw new ValidateException(ExitCodes.SetupError, $"the neighbour's driver did not report ready within {Fault.RecoveryTimeoutMs} ms; see {nb.LogPath}");
        }
        return nb;
    }

    private static string Describe(DriverProcess d) => d.HasExited && d.WaitExit(0) ? d.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?" : "still running";

    /// <summary>
    /// A plan whose release is reset needs a card with a reset method (sysfs reset, which the kernel
    /// offers when the function has one): say so before the first fault, not as 20 failed resets.
    /// </summary>
    private void CheckResetPolicy()
    {
        if (Plan.Quiesce.Policy != Valirq.ReleaseReset) return;
        if (!File.Exists(Path.Combine(PciDevice.SysfsRoot, Card.Address, "reset")))
            throw new ValidateException(ExitCodes.SetupError,
                $"{Plan.SourcePath}: release: 'reset', but the card {Card.Address} has no reset method (no {PciDevice.SysfsRoot}/{Card.Address}/reset); use \"release\": \"quiesce\" or \"quiesce-then-reset\"");
    }

    /// <summary>
    /// The line after a fault, with no driver on the card and the stimulus paused: the release left the
    /// card silent (its status register reads 0; valirq's quiesce_failures did not move unless a reset
    /// followed), INTx not left disabled at the card (PCI command register) unless valirq holds it only
    /// because no INTx handler of its own is installed (intx_hold "off": by design, a card bound to valirq
    /// asserts no line while nobody serves it), valirq's handler gone (mode off). With
    /// <paramref name="driverBack"/> (after a revocation the driver has opened the card again) only
    /// valirq's counters are read: the card's state is the new opener's by then; and a revoked opener's
    /// release runs no quiesce steps by design, so a card it left interrupting is the release
    /// accounting's to explain, not a line problem.
    /// </summary>
    internal void CheckLine(string when, ValirqSysfs before, ValirqSysfs? after, BarWindow? bar, bool driverBack = false)
    {
        if (Vfio)
        {
            CheckLineAfterVfio(when);
            return;
        }
        var ran = FaultVerdict.ReleasePhrase(Plan.Release);
        if (after is not null && ReleaseOutcome.FromSysfs(before, after) == ReleaseOutcome.Neither && !(driverBack && FaultPlan.IsRevoke(Fault.Kind)))
        {
            long D(string n) => after[n] - before[n];
            Result.LineProblems.Add($"{when}: the card was still interrupting after {ran} (screaming): valirq " + string.Join(", ",
                new[] { ("quiesce_failures", D("quiesce_failures")), ("resets", D("resets")), ("reset_failures", D("reset_failures")) }.Where(x => x.Item2 != 0).Select(x => $"{x.Item1} +{x.Item2}")
                .Append($"last_release {after.LastRelease ?? "?"}")));
        }
        else if (driverBack) return;
        else if (StillInterrupting(bar) is { } status)
            Result.LineProblems.Add($"{when}: the card still interrupting after {ran} (screaming): {status}");
        if (PciConfig.IntxDisabled(Card.Address) && FaultVerdict.LineProblemOfIntx(after) is { } intx)
            Result.LineProblems.Add($"{when}: {intx}");
        if (after is not null && after.Mode is { } mode && mode != "off")
            Result.LineProblems.Add($"{when}: valirq still enabled with no driver (mode {mode}): interrupt handler left installed");
    }

    /// <summary>
    /// The line after vfio-pci's release: what it left in the command register (INTx disabled, bus
    /// mastering) and whether the card asserts INTx, counted for the results; bus mastering left on, and
    /// INTx asserted and enabled on a line another device's handler shares (it would scream), are line problems. A status still set is not: vfio-pci runs no
    /// quiesce of the card's, and the next driver serves it.
    /// </summary>
    private void CheckLineAfterVfio(string when)
    {
        var intxOff = PciConfig.IntxDisabled(Card.Address);
        var master = PciConfig.BusMaster(Card.Address);
        lock (Result)
        {
            Result.VfioIntxDisabled += intxOff ? 1 : 0;
            Result.VfioBusMasterLeft += master ? 1 : 0;
            Result.VfioChecks++;
        }
        if (master) Result.LineProblems.Add($"{when}: bus mastering left on by vfio-pci's release: the card could still write memory");
        if (!intxOff && PciConfig.IntxAsserted(Card.Address) == true)
        {
            // Harmless on a line nobody else has a handler on (the kernel keeps it masked); on a line
            // another device's handler shares, it screams ("nobody cared") and takes the neighbour down.
            lock (Result) Result.VfioIntxAsserted++;
            if (ProcInterrupts.Handlers().TryGetValue(Card.Irq, out var others) && others.Length > 0)
                Result.LineProblems.Add($"{when}: the card asserts INTx with INTx enabled and no driver, on IRQ {Card.Irq} shared with {string.Join(", ", others)}: the line screams");
        }
    }

    /// <summary>Whether vfio-pci can reset the function, and by what (sysfs reset_method), or why not.</summary>
    internal static string VfioResetMethod(string address)
    {
        var path = Path.Combine(PciDevice.SysfsRoot, address, "reset_method");
        var methods = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        return methods.Length > 0
            ? $"reset ({methods}): vfio-pci resets the function on release and when the next driver opens it"
            : "no reset: the function has no reset method (no FLR, no PM reset, not alone behind a bridge for a bus reset), so vfio-pci leaves it as the driver left it, interrupts disabled";
    }

    /// <summary>
    /// Whether the card says it is interrupting, by the plan's check; a card whose check clears when read is
    /// not read (that would take what it holds): its INTx Interrupt Status bit is asked instead. Null: silent.
    /// </summary>
    private string? StillInterrupting(BarWindow? bar)
    {
        if (Plan.ReadToClear)
            return PciConfig.IntxAsserted(Card.Address) == true ? "INTx asserted (PCI status Interrupt Status)" : null;
        if (bar is null || Plan.Program is not { } p) return null;
        return RegisterProgram.Check(bar, p.Check, out var status) ? $"status 0x{status:x}" : null;
    }

    /// <summary>
    /// Leaves the card as found: what the plan's quiesce does (edu: acknowledged, which also lowers an
    /// INTx level it raised while its MSI was off), then its health.
    /// </summary>
    private void LeaveCard(BarWindow window)
    {
        try
        {
            RegisterProgram.Quiesce(window, Plan.Quiesce);
            var (passed, text) = CardHealth.Check(window, Plan.Health);
            Result.CardCheck = text;
            Result.CardCheckPassed = passed;
        }
        catch (InteropException e)
        {
            Result.CardCheck = $"could not reach the card after the faults: {e.Message}";
            Result.CardCheckPassed = false;
        }
    }

    private void Account(Stimulator? stim, Stimulator? nbStim, PciDevice? nbCard)
    {
        foreach (var (k, v) in Counters.Totals) Result.ValirqCounters[k] = v;
        if (stim is not null)
        {
            List<DriverReport> reports;
            lock (_reports) reports = [.. _reports];
            var a = FaultAccounting.Compute(stim.Raises, reports, _windows, stim.Tags);
            var t0 = stim.Raises.Length > 0 ? stim.Raises[0] : 0;
            var lat = StageStatistics.Window([.. a.HandledLatencyNs], 0);
            Result.Accounting = new FaultCounts(a.Raised, Counters.Totals.GetValueOrDefault("hardirqs"), a.Handled, a.CoalescedExplained, a.Late,
                a.Duplicated, a.LostExplained, a.LostUnexplained, a.EmptyReports, [.. a.UnexplainedNs.Take(20).Select(t => t - t0)],
                lat.P50Ns, lat.P99Ns, lat.MaxNs, a.ServedAgain);
            if (stim.Full) Problem($"the stimulus log filled up after {stim.Count} raises; later raises were not made");
            if (stim.Problem is { } sp) Problem($"stimulus thread: {sp}");
        }
        if (nbStim is not null && nbCard is not null)
        {
            List<DriverReport> reports;
            lock (_nbReports) reports = [.. _nbReports];
            var a = FaultAccounting.Compute(nbStim.Raises, reports, [], nbStim.Tags);
            var during = new List<long>();
            var outside = new List<long>();
            for (int i = 0; i < a.HandledAtNs.Length; i++)
            {
                var t = a.HandledAtNs[i];
                (_faultSpans.Any(s => t >= s.From && t <= s.To) ? during : outside).Add(a.HandledLatencyNs[i]);
            }
            var spanS = _faultSpans.Sum(s => (s.To - s.From) / 1e9);
            var totalS = nbStim.Raises.Length > 1 ? (nbStim.Raises[^1] - nbStim.Raises[0]) / 1e9 : 0;
            Result.Neighbour = new NeighbourResult(nbCard.Address, $"{Fault.Driver.Name} (uio_pci_generic)", a.Raised, a.Handled, a.Unexplained, a.Late, a.Duplicated,
                StageStatistics.Window(outside, totalS - spanS), StageStatistics.Window(during, spanS));
        }
    }
}
