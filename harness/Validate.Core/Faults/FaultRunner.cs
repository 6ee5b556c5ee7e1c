using System.Globalization;
using Validate.Devices;
using Validate.Engine;
using Validate.Interop;
using Validate.Loads;
using Validate.Plans;
using Validate.Results;

namespace Validate.Faults;

/// <summary>
/// Runs one fault suite (docs/faults.md): a driver process serves the card through valirq while a
/// stimulus thread makes the card interrupt; the fault is injected (kill in the handler, at random, while
/// idle, hang, unbind/rebind, rmmod/insmod, revoke) repetition after repetition; after each the line is
/// checked and the driver restarted, and the recovery is timed: exit, process start, setup, first
/// interrupt. On a shared line a neighbour card keeps interrupting, served by its own driver through uio.
/// Afterwards every raise is accounted for, and the card is checked.
/// </summary>
public static class FaultRunner
{
    private const string StatusRegister = "irqStatus";

    public static SuiteResult Run(Plan plan, SuitePlan suite, RunContext ctx) =>
        SuiteRunner.Observe(suite, result => new FaultSuiteRun(plan, suite, ctx, result).Execute());

    /// <summary>
    /// Sums what valirq's release did over the repetitions into <paramref name="fr"/> and returns the
    /// findings: a release that left the card interrupting ("neither") fails the suite unless explained,
    /// and explained ones are listed in <see cref="FaultResult.Explained"/> with why. Explained: a
    /// revoked opener's release, which runs no quiesce steps by design (valirq took the card away at the
    /// revocation), when the reopened driver then served the card (its first interrupt came): the work
    /// left pending went to it.
    /// </summary>
    public static List<string> ReleaseFindings(string kind, string policy, FaultResult fr)
    {
        fr.Release = ReleaseOutcome.Count(fr.Repetitions.Select(r => r.Release));
        var reasons = new List<string>();
        var explained = fr.Repetitions.Where(r => r.Release == ReleaseOutcome.Neither && kind == "revoke" && r.Events.Any(e => e.Name == "first interrupt")).ToList();
        if (explained.Count > 0)
            fr.Explained.Add($"neither in repetition {string.Join(", ", explained.Select(r => r.Index).Take(5))}{(explained.Count > 5 ? ", ..." : "")}: " +
                "a revoked opener's release runs no quiesce steps (valirq took the card away at the revocation), and the reopened driver served the work it left pending");
        var neither = fr.Repetitions.Where(r => r.Release == ReleaseOutcome.Neither && !explained.Contains(r)).Select(r => r.Index).ToList();
        if (neither.Count > 0)
        {
            var c = fr.ValirqCounters;
            var reset = c.GetValueOrDefault("reset_failures") > 0 ? $"the reset failed (reset_failures +{c["reset_failures"]})"
                : c.GetValueOrDefault("resets") > 0 ? $"the card still interrupted after valirq reset it (resets +{c["resets"]}: it keeps its interrupt state over a function reset)"
                : "the reset did not silence it";
            var what = policy switch
            {
                "reset" => reset,
                "quiesce-then-reset" => "the quiesce program did not silence it and " + reset,
                _ => "the quiesce program did not silence it",
            };
            reasons.Add($"valirq's release left the card interrupting (neither quiesced nor reset) in {neither.Count} of {fr.Repetitions.Count} repetitions " +
                $"(repetition {string.Join(", ", neither.Take(5))}{(neither.Count > 5 ? ", ..." : "")}): release is {policy} and {what}");
        }
        return reasons;
    }

    /// <summary>
    /// valirq's mismatches over a suite: on INTx, the card asserted the line while the IRQ program said it
    /// was not interrupting, and valirq masked it at the card: the program is wrong for the card, a
    /// finding. On MSI valirq counts an MSI its check did not recognise: when the driver acknowledges from
    /// user space, it may read and acknowledge a raise whose MSI is still on its way (so the check in the
    /// hard IRQ reads nothing), which is explained as long as every raise is accounted for (no unexplained
    /// loss, none handled twice); otherwise it is a finding too.
    /// </summary>
    public static string? MismatchFinding(string mode, long mismatches, FaultResult fr)
    {
        if (mismatches <= 0) return null;
        if (mode == "msi" && fr.Accounting is { LostUnexplained: 0, Duplicated: 0 })
        {
            fr.Explained.Add($"{mismatches} MSIs valirq's check did not recognise (sysfs mismatches): the driver had read and acknowledged their raises before their MSIs arrived " +
                "(user-space acknowledgement races the MSI), and every raise is accounted for");
            return null;
        }
        return mode == "msi"
            ? $"{mismatches} MSIs valirq's check did not recognise (sysfs mismatches), and the accounting does not explain them: the IRQ program's check is wrong for this card"
            : $"valirq masked the card {mismatches} times because it asserted INTx against the IRQ program (sysfs mismatches): the program's check or mask steps are wrong for this card";
    }

    /// <summary>What valirq's release ran under a policy, for messages: "the quiesce program", "the reset", "the quiesce program and the reset".</summary>
    public static string ReleasePhrase(string policy) => policy switch
    {
        "reset" => "the reset",
        "quiesce-then-reset" => "the quiesce program and the reset",
        _ => "the quiesce program",
    };

    /// <summary>
    /// With INTx disabled at the card and no driver on it: the line problem, or null when valirq holds the
    /// bit only for "off" (no INTx handler of valirq installed: a card bound to valirq asserts no line while
    /// nobody serves it). <paramref name="valirq"/> null: the card is not bound to valirq (after an unbind),
    /// which must leave INTx enabled for the next driver.
    /// </summary>
    public static string? LineProblemOfIntx(ValirqSysfs? valirq)
    {
        if (valirq is { Present: true } && valirq.HoldList is ["off"]) return null;
        var why = valirq is not { Present: true } ? ", by nobody (not bound to valirq)"
            : valirq.HoldList.Count == 0 ? ", not by valirq (intx_hold none)"
            : $", valirq holds it: {string.Join(' ', valirq.HoldList)}";
        return $"INTx left disabled at the card (masked){why}: no later interrupt of this card gets through until someone acknowledges it";
    }

    /// <summary>The plan's quiesce program as the driver channel passes it (VALIDATE_DRIVER_QUIESCE).</summary>
    public static string QuiesceText(in ValirqQuiesce q)
    {
        var parts = new List<string>();
        for (int i = 0; i < q.NSteps; i++)
        {
            var s = q.Steps[i];
            var op = s.Op switch
            {
                Valirq.OpWrite => "write", Valirq.OpWriteStatus => "write-status", Valirq.OpSetBits => "set-bits", Valirq.OpClearBits => "clear-bits",
                _ => throw new ArgumentOutOfRangeException(nameof(q), s.Op, "not a quiesce op"),
            };
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{op}:{s.Reg.Bar}:0x{s.Reg.Offset:x}:{s.Reg.Width}:0x{s.Mask:x}:0x{s.Value:x}"));
        }
        return string.Join(';', parts);
    }

    private sealed class FaultSuiteRun(Plan plan, SuitePlan suite, RunContext ctx, SuiteResult result)
    {
        private readonly FaultPlan _f = suite.Fault!;
        private readonly List<DriverReport> _reports = [];
        private readonly List<DriverReport> _nbReports = [];
        private readonly List<ExplainedWindow> _windows = [];
        private readonly List<(long From, long To)> _faultSpans = [];
        private readonly List<string> _problems = [];
        private readonly Dictionary<string, long> _counters = [];
        private ValirqSysfs _segmentStart = ValirqSysfs.Absent;
        private FaultResult _fr = null!;
        private PciDevice _card = null!;
        private string _program = "";
        private bool Gated => suite.Mode != "msi";
        private long PeriodNs => 1_000_000_000L / suite.RateHz;

        public void Execute()
        {
            if (plan.Stimulus is null) throw new ValidateException(ExitCodes.InputError, $"{suite.Name}: the plan has no stimulus");
            _program = Path.IsPathRooted(_f.Driver.Program) ? _f.Driver.Program : Path.Combine(RepositoryLayout.Find().Root, _f.Driver.Program);
            _fr = new FaultResult
            {
                Kind = _f.Kind, Driver = _f.Driver.Name, Program = _program, Mode = suite.Mode, RepetitionsPlanned = _f.Repetitions,
                ReleasePolicy = plan.Release,
            };
            result.Fault = _fr;
            _card = CardLocator.Find(plan.Card);
            result.Facts["card"] = $"{_card.Address} {_card.Vendor:x4}:{_card.Device:x4} rev {_card.Revision:x2}";
            result.Facts["driver"] = $"{_f.Driver.Name} ({_program})";
            result.Facts["fault"] = _f.Kind;
            result.Facts["stimulus"] = $"{suite.RateHz}/s{(Gated ? ", paused while no driver serves the shared line" : ", through every fault")}";
            result.Facts["release"] = plan.Release;
            PciDevice? nbCard = null;
            if (_f.Neighbour)
            {
                nbCard = CardLocator.FindFlood(plan.Card, _card.Address);
                if (nbCard is null || nbCard.Irq != _card.Irq)
                {
                    result.Verdict = Verdict.Skipped;
                    result.Message = nbCard is null
                        ? "needs a second card of the plan's type on the shared line (the virtual lab's shared-intx topology); this machine has one"
                        : $"the other card {nbCard.Address} is on IRQ {nbCard.Irq}, not on the card's line {_card.Irq}: no shared line here";
                    return;
                }
            }

            PciBinding? binding = null, nbBinding = null, floodBinding = null;
            LoadSet? loads = null;
            Stimulator? stim = null, nbStim = null;
            DriverProcess? drv = null, nbDrv = null;
            var logDir = Path.Combine(ctx.OutDir, "drivers");
            Directory.CreateDirectory(logDir);
            var lineIrqBefore = Gated ? InterruptsOf(_card.Irq) : null;
            try
            {
                binding = PciBinding.Bind(_card.Address, "valirq");
                CheckResetPolicy();
                var capacity = (int)Math.Min(8_000_000, (long)suite.RateHz * (_f.Repetitions * (_f.RecoveryTimeoutMs / 1000L + _f.HangMs / 1000L + 2) + 120));
                stim = new Stimulator(_card.Address, plan.Stimulus.Register, suite.RateHz, capacity, suite.Cpus[0], suite.Priority);
                if (nbCard is not null)
                {
                    nbBinding = PciBinding.Bind(nbCard.Address, "uio_pci_generic");
                    nbStim = new Stimulator(nbCard.Address, plan.Stimulus.Register, suite.RateHz, capacity, suite.Cpus[0], suite.Priority);
                    var uio = Directory.GetDirectories(Path.Combine(PciDevice.SysfsRoot, nbCard.Address, "uio")).Select(Path.GetFileName).First();
                    var nbEnv = new Dictionary<string, string>
                    {
                        ["VALIDATE_DRIVER_DEVICE"] = $"/dev/{uio}", ["VALIDATE_DRIVER_PCI"] = nbCard.Address, ["VALIDATE_DRIVER_MODE"] = "uio", ["VALIDATE_DRIVER_QUIESCE"] = "", ["VALIDATE_DRIVER_RELEASE"] = "",
                    };
                    nbDrv = DriverProcess.Start(_f.Driver, _program, nbEnv, 1000, Path.Combine(logDir, $"{suite.Name}-neighbour.log"), suite.Cpus[0], suite.Priority - 1,
                        r => { lock (_nbReports) _nbReports.Add(r); }, Problem);
                    if (!nbDrv.WaitFor(d => d.ReadyNs >= 0, _f.RecoveryTimeoutMs))
                        throw new ValidateException(ExitCodes.SetupError, $"the neighbour's driver did not report ready within {_f.RecoveryTimeoutMs} ms; see {nbDrv.LogPath}");
                    nbStim.Start(open: true);
                }
                loads = SuiteRunner.StartLoads(plan, suite, ctx, _card, b => floodBinding = b);
                BeginSegment();
                drv = StartDriver(0, logDir);
                if (!drv.WaitFor(d => d.ReadyNs >= 0, _f.RecoveryTimeoutMs))
                    throw new ValidateException(ExitCodes.SetupError, $"driver {_f.Driver.Name} did not report ready within {_f.RecoveryTimeoutMs} ms (exit {Describe(drv)}); see {drv.LogPath}");
                stim.Start(open: true);
                if (!drv.WaitFor(d => d.FirstIrqNs >= 0, _f.RecoveryTimeoutMs))
                    throw new ValidateException(ExitCodes.Failed, $"driver {_f.Driver.Name} handled no interrupt within {_f.RecoveryTimeoutMs} ms of starting; see {drv.LogPath}");
                ctx.Log($"{suite.Name}: {_f.Kind} x{_f.Repetitions} into {_f.Driver.Name} ({suite.Mode}){(nbCard is null ? "" : $", neighbour {nbCard.Address} on IRQ {_card.Irq}")}");

                for (int rep = 0; rep < _f.Repetitions && !RunAbort.Requested; rep++)
                {
                    // Let interrupts flow between faults: at least 20 periods, at least 50 ms.
                    Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(50, 20_000.0 / suite.RateHz)));
                    var next = Inject(rep, drv, stim, logDir, out var ok);
                    drv = next;
                    if (!ok) break;
                }

                // Drain: no more raises; the driver handles what is pending, then stops cleanly.
                stim.Gate(false);
                var last = stim.LastRaiseNs;
                drv.WaitFor(d => d.LastIrqReadNs >= last, suite.TimeoutMs);
                nbStim?.Gate(false);
                var nbLast = nbStim?.LastRaiseNs ?? -1;
                nbDrv?.WaitFor(d => d.LastIrqReadNs >= nbLast, suite.TimeoutMs);
                var before = ReadCounters();
                drv.CloseInput();
                if (!drv.WaitExit(_f.RecoveryTimeoutMs)) Problem($"driver {_f.Driver.Name} did not exit within {_f.RecoveryTimeoutMs} ms of its stdin closing");
                var after = ReadCounters();
                CheckLine("after the driver stopped", before, after, stim.Window);
                EndSegment();
            }
            finally
            {
                stim?.Stop();
                nbStim?.Stop();
                _fr.StimulusAllocatedBytes = (stim?.AllocatedBytes ?? 0) + (nbStim?.AllocatedBytes ?? 0);
                drv?.Dispose();
                nbDrv?.Dispose();
                foreach (var d in new[] { drv, nbDrv })
                    if (d is not null) _fr.ProtocolErrors.AddRange(d.ProtocolErrors.Select(l => $"driver {d.Instance}: '{l}'"));
                if (stim?.Window is { } window)
                {
                    // Leave the card as found: what the plan's quiesce does (edu: acknowledged, which also
                    // lowers an INTx level it raised while its MSI was off), then its health.
                    try
                    {
                        RunSteps(window, plan.Quiesce);
                        CardCheck(window);
                    }
                    catch (InteropException e)
                    {
                        _fr.CardCheck = $"could not reach the card after the faults: {e.Message}";
                        _fr.CardCheckPassed = false;
                    }
                }
                if (stim is { WriteErrors: > 0 } se)
                    Problem($"the stimulus failed to write the card {se.WriteErrors} times (last {Errno.Name(se.LastErrno)}); those raises were not made");
                if (nbStim is { WriteErrors: > 0 } ne)
                    Problem($"the neighbour's stimulus failed to write its card {ne.WriteErrors} times (last {Errno.Name(ne.LastErrno)})");
                var loadRecords = loads?.Stop();
                loads?.Dispose();
                result.Load = new LoadInfo(suite.Load.Name, suite.Load.Description, loadRecords ?? []);
                if (Gated && lineIrqBefore is { } b0 && InterruptsOf(_card.Irq) is { } b1)
                {
                    _fr.LineInterrupts = b1 - b0;
                    _fr.LineRaises = (stim?.Count ?? 0) + (nbStim?.Count ?? 0);
                }
                Account(stim, nbStim, nbCard);
                stim?.Dispose();
                nbStim?.Dispose();
                floodBinding?.Dispose();
                nbBinding?.Dispose();
                binding?.Dispose();
            }
            Summarize();
        }

        private void Problem(string p)
        {
            lock (_problems) _problems.Add(p);
        }

        private DriverProcess StartDriver(int instance, string logDir)
        {
            var env = new Dictionary<string, string>
            {
                ["VALIDATE_DRIVER_DEVICE"] = ValirqDevice.PathOf(_card.Address),
                ["VALIDATE_DRIVER_PCI"] = _card.Address,
                ["VALIDATE_DRIVER_MODE"] = suite.Mode,
                ["VALIDATE_DRIVER_QUIESCE"] = QuiesceText(plan.Quiesce),
                ["VALIDATE_DRIVER_RELEASE"] = plan.Release,
            };
            return DriverProcess.Start(_f.Driver, _program, env, instance, Path.Combine(logDir, $"{suite.Name}.log"), suite.Cpus[0], suite.Priority - 1,
                r => { lock (_reports) _reports.Add(r); }, Problem);
        }

        private static string Describe(DriverProcess d) => d.HasExited && d.WaitExit(0) ? d.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "?" : "still running";

        /// <summary>One injection and the recovery after it. Returns the driver now serving the card.</summary>
        private DriverProcess Inject(int rep, DriverProcess drv, Stimulator stim, string logDir, out bool ok)
        {
            ok = true;
            var events = new List<(string Name, long Ns)>();
            var problems = new List<string>();
            var lastRead = drv.LastIrqReadNs >= 0 ? drv.LastIrqReadNs : drv.ReadyNs;
            var before = ReadCounters();
            long faultNs, quiesceDoneNs, stopNs = -1;
            var restart = true;
            var timeout = _f.RecoveryTimeoutMs;
            var readyCount = drv.ReadyCount;

            // The stimulus pauses from the fault until the quiesce is done, so that the quiesce check sees
            // only what the driver left, not a raise that came after it; on MSI it resumes right after
            // (raises with no driver must reach the next one), on the shared line when a driver is ready.
            void Kill()
            {
                stim.Gate(false);
                faultNs = MonotonicClock.NowNs();
                _ = drv.Signal(Signals.SIGKILL);
            }

            switch (_f.Kind)
            {
                case "kill-in-handler":
                    drv.Send("hold");
                    if (!drv.WaitFor(d => d.EnterNs >= 0, timeout)) problems.Add($"the driver never reported being in its handler within {timeout} ms");
                    Kill();
                    if (drv.EnterNs >= 0) events.Add(("in handler", drv.EnterNs));
                    break;
                case "kill-random":
                    Thread.Sleep(TimeSpan.FromTicks(Random.Shared.NextInt64(0, 2 * PeriodNs / 100 + 1)));
                    Kill();
                    break;
                case "kill-idle":
                    stim.Gate(false);
                    var last = stim.LastRaiseNs;
                    if (!drv.WaitFor(d => d.LastIrqReadNs >= last, timeout)) problems.Add($"the driver did not catch up with the raises within {timeout} ms");
                    Kill();
                    break;
                case "hang":
                    stopNs = MonotonicClock.NowNs();
                    _ = drv.Signal(Signals.SIGSTOP);
                    events.Add(("SIGSTOP", stopNs));
                    Thread.Sleep(_f.HangMs);
                    Kill();
                    break;
                case "rebind":
                    stim.Gate(false);
                    faultNs = MonotonicClock.NowNs();
                    Write(Path.Combine(PciDevice.SysfsRoot, _card.Address, "driver", "unbind"), _card.Address);
                    events.Add(("unbound", MonotonicClock.NowNs()));
                    // Unbound, valirq's debugfs window went with it and the BARs are free: sysfs resourceN.
                    stim.Use(BarWindow.ForCard(_card.Address, plan.Stimulus!.Register.Bar));
                    break;
                case "reload":
                    stim.Gate(false);
                    faultNs = MonotonicClock.NowNs();
                    drv.Send("exit");
                    break;
                case "revoke":
                    stim.Gate(false);
                    faultNs = MonotonicClock.NowNs();
                    Write(ValirqDebugfs.Revoke(_card.Address), "1");
                    restart = false;
                    break;
                default:
                    throw new InvalidOperationException(_f.Kind);
            }
            events.Add((_f.Kind switch { "rebind" => "unbind", "reload" => "exit asked", "revoke" => "revoke", "hang" => "SIGKILL (watchdog)", _ => "SIGKILL" }, faultNs));

            // With the stimulus paused and the quiesce done: what did the driver's death leave on the line?
            // Then, on MSI, interrupts fire again through the rest of the recovery.
            ValirqSysfs? after = null;
            void AfterQuiesce(bool counters)
            {
                after = counters ? ReadCounters() : null;
                CheckLine($"repetition {rep + 1}", before, after, stim.Window);
                if (!Gated) stim.Gate(true);
            }

            if (restart)
            {
                if (!drv.WaitExit(timeout))
                {
                    problems.Add($"the driver did not exit within {timeout} ms");
                    _ = drv.Signal(Signals.SIGKILL);
                    drv.WaitExit(timeout);
                }
                events.Add(($"exit ({drv.ExitCode})", drv.ExitSeenNs));
                quiesceDoneNs = drv.ExitSeenNs;
                if (_f.Kind == "rebind")
                {
                    // valirq's remove ran the quiesce before the unbind returned; its counters went with it.
                    quiesceDoneNs = events.First(e => e.Name == "unbound").Ns;
                    AfterQuiesce(counters: false);
                    EndSegment(before);
                    // No raise through sysfs resourceN while valirq binds: its reservation zaps that mapping.
                    stim.Use(null);
                    Write(Path.Combine(PciDevice.SysfsRoot, "..", "drivers_probe"), _card.Address);
                    WaitNode(timeout);
                    stim.Use(DebugfsBar.Open(_card.Address, plan.Stimulus!.Register.Bar, timeout));
                    events.Add(("rebound", MonotonicClock.NowNs()));
                    BeginSegment();
                }
                else if (_f.Kind == "reload")
                {
                    AfterQuiesce(counters: true);
                    EndSegment();
                    Reload(timeout, events, stim);
                    BeginSegment();
                }
                else AfterQuiesce(counters: true);
            }
            else
            {
                if (!drv.WaitFor(d => d.RevokedNs >= faultNs, timeout)) problems.Add($"the driver did not notice the revocation within {timeout} ms");
                quiesceDoneNs = drv.RevokedNs >= faultNs ? drv.RevokedNs : MonotonicClock.NowNs();
                events.Add(("revoked, reopening", quiesceDoneNs));
                // The driver opens again at once: only valirq's own verdict on that release is clean to read.
                after = ReadCounters();
                CheckLine($"repetition {rep + 1}", before, after, stim.Window, driverBack: true);
                if (!Gated) stim.Gate(true);
            }

            foreach (var p in problems) Problem($"repetition {rep + 1}: {p}");

            var next = drv;
            if (restart)
            {
                var old = drv;
                _fr.ProtocolErrors.AddRange(old.ProtocolErrors.Select(l => $"driver {old.Instance}: '{l}'"));
                old.Dispose();
                next = StartDriver(old.Instance + 1, logDir);
                readyCount = 0;
                events.Add(("spawn", next.SpawnNs));
            }
            var ready = next.WaitFor(d => d.ReadyCount > readyCount, timeout);
            if (Gated) stim.Gate(true);
            var first = ready && next.WaitFor(d => d.FirstIrqNs >= 0, timeout);
            if (restart && next.HelloNs >= 0) events.Add(("hello", next.HelloNs));
            if (ready) events.Add(("ready", next.ReadyNs));
            if (first) events.Add(("first interrupt", next.FirstIrqNs));
            var parts = new Dictionary<string, long> { ["exit"] = quiesceDoneNs - faultNs };
            if (restart && next.HelloNs >= 0) parts["start"] = next.HelloNs - next.SpawnNs;
            if (ready) parts["setup"] = next.ReadyNs - (restart && next.HelloNs >= 0 ? next.HelloNs : quiesceDoneNs);
            if (first)
            {
                parts["first-irq"] = Math.Max(0, next.FirstIrqNs - next.ReadyNs);
                parts["total"] = next.FirstIrqNs - faultNs;
            }
            else
            {
                var why = !ready ? $"the driver did not report ready within {timeout} ms (exit {Describe(next)}; see {next.LogPath})"
                    : $"the driver handled no interrupt within {timeout} ms of ready";
                Problem($"repetition {rep + 1}: no recovery: {why}");
                ok = false;
            }
            var windowStart = Math.Min(lastRead, stopNs >= 0 ? stopNs : faultNs);
            _windows.Add(new ExplainedWindow(windowStart, quiesceDoneNs, first ? next.FirstIrqNs : long.MaxValue));
            _faultSpans.Add((stopNs >= 0 ? stopNs : faultNs, first ? next.FirstIrqNs : MonotonicClock.NowNs()));
            // What valirq's release did: its sysfs around the fault, else what the drivers read in a record's
            // flags (the old driver's GONE record on unbind, the new driver's first record).
            var fromSysfs = after is null ? ReleaseOutcome.Unobserved : ReleaseOutcome.FromSysfs(before, after);
            string? fromDriver = null;
            if (drv.ReleaseNs >= faultNs) fromDriver = drv.Release;
            if (next.ReleaseNs >= faultNs) fromDriver = next.Release;
            var release = ReleaseOutcome.Combine(fromSysfs, fromDriver);
            var repProblems = _problems.Where(p => p.StartsWith($"repetition {rep + 1}:", StringComparison.Ordinal)).ToList();
            _fr.Repetitions.Add(new FaultRepetition(rep + 1, faultNs,
                [.. events.OrderBy(e => e.Ns).Select(e => new TimelineEvent(e.Name, e.Ns - faultNs))], parts, repProblems, release));
            return next;
        }

        private void Reload(int timeoutMs, List<(string, long)> events, Stimulator stim)
        {
            var bar = plan.Stimulus!.Register.Bar;
            var ko = ModulePath();
            // An open debugfs file of valirq holds a reference on the module: close the window first.
            stim.Use(null);
            var r = ProcessRunner.Capture("rmmod", ["valirq"], TimeSpan.FromMilliseconds(timeoutMs));
            if (r.Status != 0) throw new ValidateException(ExitCodes.Failed, $"rmmod valirq failed: {r.Stderr.Trim()} (is another process holding a valirq device or debugfs file open?)");
            events.Add(("rmmod", MonotonicClock.NowNs()));
            // While the module is out the card is unbound, its BARs free: raise through sysfs resourceN for
            // a while (on MSI the gate is open: those raises must reach the next driver), and drop that window
            // before the module's load binds the card again (valirq's reservation zaps the mapping).
            stim.Use(BarWindow.ForCard(_card.Address, bar));
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(50, 20_000.0 / suite.RateHz)));
            stim.Use(null);
            r = ko == "modprobe" ? ProcessRunner.Capture("modprobe", ["valirq"], TimeSpan.FromMilliseconds(timeoutMs))
                : ProcessRunner.Capture("insmod", [ko], TimeSpan.FromMilliseconds(timeoutMs));
            if (r.Status != 0) throw new ValidateException(ExitCodes.Failed, $"loading valirq again ({ko}) failed: {r.Stderr.Trim()}; the card is left without its driver");
            events.Add(("insmod", MonotonicClock.NowNs()));
            // driver_override is still valirq: the module's registration binds the card again.
            WaitNode(timeoutMs);
            stim.Use(DebugfsBar.Open(_card.Address, bar, timeoutMs));
            events.Add(("bound", MonotonicClock.NowNs()));
        }

        /// <summary>The module to load again: VALIDATE_VALIRQ_KO, an installed valirq (DKMS: modprobe), or kmod/valirq.ko of this checkout.</summary>
        private static string ModulePath()
        {
            if (Environment.GetEnvironmentVariable("VALIDATE_VALIRQ_KO") is { Length: > 0 } env) return env;
            if (ProcessRunner.Capture("modinfo", ["-n", "valirq"], TimeSpan.FromSeconds(5)) is { Status: 0 } m && m.Stdout.Trim().StartsWith("/lib/modules", StringComparison.Ordinal))
                return "modprobe";
            return Path.Combine(RepositoryLayout.Find().Kmod, "valirq.ko");
        }

        private void WaitNode(int timeoutMs)
        {
            var deadline = Environment.TickCount64 + timeoutMs;
            while (!File.Exists(ValirqDevice.PathOf(_card.Address)))
            {
                if (Environment.TickCount64 > deadline)
                    throw new ValidateException(ExitCodes.Failed, $"{ValirqDevice.PathOf(_card.Address)} did not come back within {timeoutMs} ms; the card is left without its driver");
                Thread.Sleep(1);
            }
        }

        private static void Write(string path, string value)
        {
            try { File.WriteAllText(path, value); }
            catch (IOException e) { throw new ValidateException(ExitCodes.Failed, $"writing '{value}' to {path}: {e.Message}"); }
            catch (UnauthorizedAccessException e) { throw new ValidateException(ExitCodes.SetupError, $"writing {path}: {e.Message}; fault injection needs root"); }
        }

        private ValirqSysfs ReadCounters() => ValirqSysfs.Read(_card.Address);

        private void BeginSegment() => _segmentStart = ReadCounters();

        /// <summary>Adds the counters' change since <see cref="BeginSegment"/> (a reload or rebind resets them).</summary>
        private void EndSegment(ValirqSysfs? end = null)
        {
            end ??= ReadCounters();
            foreach (var n in ValirqSysfs.CounterNames)
                if (end.Counters.TryGetValue(n, out var e) && _segmentStart.Counters.TryGetValue(n, out var s))
                    _counters[n] = _counters.GetValueOrDefault(n) + (e - s);
        }

        /// <summary>
        /// A plan whose release is reset needs a card with a reset method (sysfs reset, which the kernel
        /// offers when the function has one): say so before the first fault, not as 20 failed resets.
        /// </summary>
        private void CheckResetPolicy()
        {
            if (plan.Quiesce.Policy != Valirq.ReleaseReset) return;
            if (!File.Exists(Path.Combine(PciDevice.SysfsRoot, _card.Address, "reset")))
                throw new ValidateException(ExitCodes.SetupError,
                    $"{plan.SourcePath}: release: 'reset', but the card {_card.Address} has no reset method (no {PciDevice.SysfsRoot}/{_card.Address}/reset); use \"release\": \"quiesce\" or \"quiesce-then-reset\"");
        }

        /// <summary>
        /// The line after a fault, with no driver on the card and the stimulus paused: the quiesce left the
        /// card silent (its status register reads 0; valirq's quiesce_failures did not move unless a reset
        /// followed), INTx not left disabled at the card (PCI command register) unless valirq holds it only
        /// because no INTx handler of its own is installed (intx_hold "off": by design, a card bound to valirq
        /// asserts no line while nobody serves it), valirq's handler gone (mode off). With
        /// <paramref name="driverBack"/> (after a revocation the driver has opened the card again) only
        /// valirq's counters are read: the card's state is the new opener's by then; and a revoked opener's
        /// release runs no quiesce steps by design, so a card it left interrupting is the release
        /// accounting's to explain, not a line problem.
        /// </summary>
        private void CheckLine(string when, ValirqSysfs before, ValirqSysfs? after, BarWindow? bar, bool driverBack = false)
        {
            var ran = ReleasePhrase(plan.Release);
            if (after is not null && ReleaseOutcome.FromSysfs(before, after) == ReleaseOutcome.Neither && !(driverBack && _f.Kind == "revoke"))
            {
                long D(string n) => after[n] - before[n];
                _fr.LineProblems.Add($"{when}: the card was still interrupting after {ran} (screaming): valirq " + string.Join(", ",
                    new[] { ("quiesce_failures", D("quiesce_failures")), ("resets", D("resets")), ("reset_failures", D("reset_failures")) }.Where(x => x.Item2 != 0).Select(x => $"{x.Item1} +{x.Item2}")
                    .Append($"last_release {after.LastRelease ?? "?"}")));
            }
            else if (driverBack) return;
            else if (bar is not null && bar.Read(StatusReg) is var status and not 0)
                _fr.LineProblems.Add($"{when}: the card still interrupting after {ran} (screaming): status 0x{status:x}");
            if (IntxDisabled(_card.Address) && LineProblemOfIntx(after) is { } intx)
                _fr.LineProblems.Add($"{when}: {intx}");
            if (after is not null && after.Mode is { } mode && mode != "off")
                _fr.LineProblems.Add($"{when}: valirq still enabled with no driver (mode {mode}): interrupt handler left installed");
        }

        private ValirqReg StatusReg => plan.Registers.TryGetValue(StatusRegister, out var r) ? r : plan.Program!.Value.Check.Reg;

        /// <summary>The PCI 2.3 Interrupt Disable bit (command register bit 10), read from config space.</summary>
        private static bool IntxDisabled(string address)
        {
            try
            {
                using var f = File.OpenRead(Path.Combine(PciDevice.SysfsRoot, address, "config"));
                Span<byte> cmd = stackalloc byte[2];
                f.Position = 4;
                return f.Read(cmd) == 2 && (cmd[1] & 0x04) != 0;
            }
            catch (IOException) { return false; }
        }

        private static void RunSteps(BarWindow bar, in ValirqQuiesce q)
        {
            for (int i = 0; i < q.NSteps; i++)
            {
                var s = q.Steps[i];
                if (s.Reg.Bar != bar.Bar || s.Reg.Space != Valirq.SpaceMem) continue;
                switch (s.Op)
                {
                    case Valirq.OpWrite: bar.Write(s.Reg, s.Value); break;
                    case Valirq.OpSetBits: bar.Write(s.Reg, bar.Read(s.Reg) | s.Value); break;
                    case Valirq.OpClearBits: bar.Write(s.Reg, bar.Read(s.Reg) & ~s.Mask); break;
                }
            }
        }

        /// <summary>
        /// edu's health after all the faults, when the plan names its registers: liveness returns the
        /// complement of what was written, and the factorial unit computes 5! = 120.
        /// </summary>
        private void CardCheck(BarWindow bar)
        {
            if (!plan.Registers.TryGetValue("liveness", out var live) || !plan.Registers.TryGetValue("factorial", out var fact) || !plan.Registers.TryGetValue("status", out var st))
            {
                _fr.CardCheck = "not checked: the plan names no liveness, factorial and status registers";
                _fr.CardCheckPassed = true;
                return;
            }
            bar.Write(live, 0x5a5aa5a5);
            var l = bar.Read(live);
            bar.Write(st, bar.Read(st) & ~0x80u);
            bar.Write(fact, 5);
            var deadline = Environment.TickCount64 + 1000;
            while ((bar.Read(st) & 1) != 0 && Environment.TickCount64 < deadline) Thread.Sleep(1);
            var f = bar.Read(fact);
            _fr.CardCheckPassed = l == ~0x5a5aa5a5u && f == 120;
            _fr.CardCheck = $"liveness 0x{l:x8} (want 0x{~0x5a5aa5a5u:x8}), factorial 5! = {f} (want 120): {(_fr.CardCheckPassed ? "ok" : "BROKEN")}";
        }

        private static long? InterruptsOf(int irq)
        {
            foreach (var line in File.ReadLines("/proc/interrupts"))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 2 || f[0] != $"{irq}:") continue;
                long sum = 0;
                foreach (var x in f.Skip(1))
                {
                    if (!long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) break;
                    sum += v;
                }
                return sum;
            }
            return null;
        }

        private void Account(Stimulator? stim, Stimulator? nbStim, PciDevice? nbCard)
        {
            foreach (var (k, v) in _counters) _fr.ValirqCounters[k] = v;
            if (stim is not null)
            {
                List<DriverReport> reports;
                lock (_reports) reports = [.. _reports];
                var a = FaultAccounting.Compute(stim.Raises, reports, _windows);
                var t0 = stim.Raises.Length > 0 ? stim.Raises[0] : 0;
                var lat = Window([.. a.HandledLatencyNs], 0);
                _fr.Accounting = new FaultCounts(a.Raised, _counters.GetValueOrDefault("hardirqs"), a.Handled, a.CoalescedExplained, a.Late,
                    a.Duplicated, a.LostExplained, a.LostUnexplained, a.EmptyReports, [.. a.UnexplainedNs.Take(20).Select(t => t - t0)],
                    lat.P50Ns, lat.P99Ns, lat.MaxNs);
                if (stim.Full) Problem($"the stimulus log filled up after {stim.Count} raises; later raises were not made");
                if (stim.Problem is { } sp) Problem($"stimulus thread: {sp}");
            }
            if (nbStim is not null && nbCard is not null)
            {
                List<DriverReport> reports;
                lock (_nbReports) reports = [.. _nbReports];
                var a = FaultAccounting.Compute(nbStim.Raises, reports, []);
                var during = new List<long>();
                var outside = new List<long>();
                for (int i = 0; i < a.HandledAtNs.Length; i++)
                {
                    var t = a.HandledAtNs[i];
                    (_faultSpans.Any(s => t >= s.From && t <= s.To) ? during : outside).Add(a.HandledLatencyNs[i]);
                }
                var spanS = _faultSpans.Sum(s => (s.To - s.From) / 1e9);
                var totalS = nbStim.Raises.Length > 1 ? (nbStim.Raises[^1] - nbStim.Raises[0]) / 1e9 : 0;
                _fr.Neighbour = new NeighbourResult(nbCard.Address, $"{_f.Driver.Name} (uio_pci_generic)", a.Raised, a.Handled, a.Unexplained, a.Late, a.Duplicated,
                    Window(outside, totalS - spanS), Window(during, spanS));
            }
        }

        private static WindowStats Window(List<long> latencies, double seconds)
        {
            latencies.Sort();
            long P(double q) => latencies.Count == 0 ? 0 : latencies[(int)Math.Ceiling(q * latencies.Count) - 1];
            return new WindowStats(latencies.Count, Math.Round(seconds, 3), seconds > 0 ? Math.Round(latencies.Count / seconds, 1) : 0, P(0.5), P(0.99), latencies.Count == 0 ? 0 : latencies[^1]);
        }

        private void Summarize()
        {
            result.Stages.AddRange(FaultPlan.Stages.Select(s => RecoveryStats.Stage(s, [.. _fr.Repetitions.Where(r => r.PartsNs.ContainsKey(s)).Select(r => r.PartsNs[s])])));
            SuiteRunner.Judge(suite, result);
            var reasons = new List<string>();
            if (_fr.LineProblems.Count > 0)
                reasons.Add($"line left masked or screaming: {_fr.LineProblems[0]}{(_fr.LineProblems.Count > 1 ? $" (and {_fr.LineProblems.Count - 1} more)" : "")}");
            reasons.AddRange(ReleaseFindings(_f.Kind, plan.Release, _fr));
            if (MismatchFinding(suite.Mode, _counters.GetValueOrDefault("mismatches"), _fr) is { } mismatch) reasons.Add(mismatch);
            if (_fr.LineInterrupts is { } li && _fr.LineRaises is { } lr && li > 3 * lr + 1000)
                reasons.Add($"line IRQ {_card.Irq} stormed: {li} interrupts for {lr} raises (line left screaming)");
            if (_fr.Accounting is { } a)
            {
                if (a.Unexplained > suite.Limits.MaxLost)
                    reasons.Add($"{a.Unexplained} interrupts lost that the accounting cannot explain (limit {suite.Limits.MaxLost}; first at {string.Join(", ", a.UnexplainedAtNs.Take(3).Select(Duration.Format))} into the suite)");
                if (a.Duplicated > _f.MaxDuplicated) reasons.Add($"{a.Duplicated} interrupts handled twice (limit {_f.MaxDuplicated})");
                if (a.Raised == 0) reasons.Add("no interrupt was raised");
            }
            if (_fr.Neighbour is { } nb && (nb.Lost > 0 || nb.Duplicated > 0))
                reasons.Add($"the neighbour {nb.Card} on the shared line lost {nb.Lost} and double-handled {nb.Duplicated} of {nb.Raised} interrupts");
            if (!_fr.CardCheckPassed && _fr.CardCheck is not null) reasons.Add($"card after recovery: {_fr.CardCheck}");
            if (_fr.ProtocolErrors.Count > 0) reasons.Add($"driver broke the channel protocol: {_fr.ProtocolErrors[0]}");
            foreach (var p in _problems) reasons.Add(p);
            if (_fr.Repetitions.Count < _f.Repetitions && !RunAbort.Requested)
                reasons.Add($"{_fr.Repetitions.Count} of {_f.Repetitions} repetitions done");
            result.CountsVerdict = reasons.Count > 0 ? Verdict.Fail : Verdict.Pass;
            if (result.Verdict == Verdict.Error || reasons.Count == 0) return;
            result.Verdict = Verdict.Fail;
            result.Message = string.Join("; ", reasons) + (result.Message is { Length: > 0 } m ? "; " + m : "");
        }
    }
}

/// <summary>Exact statistics of a few recovery times (one per repetition), in the shape of a latency stage.</summary>
public static class RecoveryStats
{
    public static StageResult Stage(string name, long[] values)
    {
        if (values.Length == 0) return new StageResult(name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1_000_000_000, [], []);
        var v = values.Order().ToArray();
        long P(double q) => v[Math.Max(0, (int)Math.Ceiling(q / 100 * v.Length) - 1)];
        var mean = v.Average();
        var sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length);
        var dist = v.Select((x, i) => new DistributionPoint(x, Math.Round(100.0 * (i + 1) / v.Length, 6), i + 1)).DistinctBy(p => p.ValueNs).ToList();
        var hist = v.GroupBy(x => x).Select(g => new[] { g.Key, (long)g.Count() }).ToList();
        return new StageResult(name, v.Length, v[0], P(50), P(90), P(99), P(99.9), P(99.99), v[^1], Math.Round(mean, 1), Math.Round(sd, 1),
            v.Count(x => x < 0), 1_000_000_000, [], dist, hist);
    }
}
