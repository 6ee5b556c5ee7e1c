using System.Text.RegularExpressions;
using Validate.Interop;

namespace Validate.Plans;

/// <summary>
/// Checks a bound <see cref="PlanDocument"/> and makes a <see cref="Plan"/>: every mistake is collected
/// (not just the first), each naming the file that set the key, the key path, the value and what was
/// expected. Nothing runs until a plan passes.
/// </summary>
public sealed partial class PlanValidator(string planPath, Func<string, string> sourceOf, int cpuCount)
{
    public const int SupportedSchema = 1;

    // The closed vocabularies and the ranges of plan keys: the checks below and the plans' JSON Schema
    // (PlanSchema) both read them, so the schema an editor checks with cannot drift from `validate run --check`.
    public static readonly string[] Statistics = ["min", "p50", "p90", "p99", "p99.9", "p99.99", "max"];
    public static readonly string[] ValirqModes = ["msi", "msix", "intx-exclusive", "intx-shared", "intx-pci23"];
    public static readonly string[] VfioModes = ["intx", "msi", "msix"];
    public static readonly string[] UioModes = ["intx"];
    public static readonly string[] TimerModes = ["periodic"];
    /// <summary>Values of the plan key "release", in the order of valirq's VALIRQ_RELEASE_* numbers.</summary>
    public static readonly string[] ReleasePolicies = ["quiesce", "reset", "quiesce-then-reset"];
    /// <summary>The ops of a check (irqProgram.check): is the card interrupting?</summary>
    public static readonly string[] CheckOps = ["read-ne", "read-eq"];
    /// <summary>The ops of a step (ack, mask, unmask, init, disable, quiesce).</summary>
    public static readonly string[] StepOps = ["write", "write-status", "set-bits", "clear-bits"];
    // valirq's op numbers, index for index with CheckOps and StepOps.
    private static readonly uint[] CheckOpCodes = [Valirq.OpReadNe, Valirq.OpReadEq];
    private static readonly uint[] StepOpCodes = [Valirq.OpWrite, Valirq.OpWriteStatus, Valirq.OpSetBits, Valirq.OpClearBits];
    /// <summary>The ops of init and disable, which run with no interrupt status to write.</summary>
    public static readonly string[] StatusFreeStepOps = [.. StepOps.Where(o => o != "write-status")];
    /// <summary>Suite backends; each is a <see cref="BackendKind"/> of the same name.</summary>
    public static readonly string[] Backends = ["valirq", "uio", "vfio", "timer"];
    public static readonly string[] FaultBackends = ["valirq", "vfio"];
    public const string LatencyKind = "latency", FaultKind = "fault";
    public static readonly string[] SuiteKinds = [LatencyKind, FaultKind];
    public static readonly string[] AddressSpaces = ["mem", "io"];
    public static readonly int[] RegisterWidths = [1, 2, 4];
    /// <summary>stimulus.tag: how the fault suites tell raises apart.</summary>
    public const string TagBitsKind = "bits", TagNoneKind = "none";
    public static readonly string[] TagKinds = [TagBitsKind, TagNoneKind];
    /// <summary>realtime.onFailure: abort (stop the run) or flag (run, marked not real-time).</summary>
    public static readonly string[] OnFailureActions = ["abort", "flag"];
    /// <summary>loads.NAME.commands[].kind.</summary>
    public const string ProcessLoadKind = "process", IrqFloodLoadKind = "irq-flood";
    public static readonly string[] LoadCommandKinds = [ProcessLoadKind, IrqFloodLoadKind];
    public const string SuiteNamePattern = "^[a-z0-9][a-z0-9-]{0,62}$";
    public const string PciAddressPattern = "^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$";
    public const int MaxBar = 5;
    public const int MinPriority = 1, MaxPriority = 99;
    /// <summary>MSI-X table entries valirq enables: 0 to this.</summary>
    public const int MaxMsixEntry = 31;
    public const int MaxStatusShift = 31;
    public const int MaxWithinMs = 60_000;
    public const int MinTimeoutMs = 1, MaxTimeoutMs = 60_000;
    public const double MaxLoadSettleS = 600, MaxDurationS = 86_400;
    public const int MinRawRing = 1024;
    public const int MaxRepetitions = 100_000;
    public const int MinHangMs = 1, MaxHangMs = 600_000;
    public const int MinRecoveryTimeoutMs = 100, MaxRecoveryTimeoutMs = 600_000;
    public const int LatencyMaxRateHz = 1_000_000, FaultMinRateHz = 1, FaultMaxRateHz = 100_000;
    /// <summary>A fault suite's stimulus priority: its drivers run one below.</summary>
    public const int FaultMinPriority = MinPriority + 1;

    /// <summary>"a, b or c".</summary>
    private static string OneOf(string[] v) => v.Length < 2 ? string.Join("", v) : $"{string.Join(", ", v.Take(v.Length - 1))} or {v[^1]}";

    public static string ReleaseName(uint policy) => policy < ReleasePolicies.Length ? ReleasePolicies[policy] : $"policy {policy}";

    private readonly List<PlanError> _errors = [];

    private void Error(string path, string message) => _errors.Add(new PlanError(sourceOf(path), path, message));

    /// <summary>The stages a backend measures, in the order they are recorded.</summary>
    public static IReadOnlyList<string> StagesOf(BackendKind backend) => backend switch
    {
        BackendKind.Valirq => ["raise-hardirq", "hardirq-thread", "thread-user", "total"],
        BackendKind.Uio => ["total"],
        BackendKind.Timer => ["total"],
        BackendKind.Vfio => ["raise-user", "user-done", "total"],
        _ => throw new ArgumentOutOfRangeException(nameof(backend)),
    };

    public Plan Validate(PlanDocument d)
    {
        if (d.Schema != SupportedSchema)
            Error("schema", $"{d.Schema} is not a plan schema this engine reads; set \"schema\": {SupportedSchema}");
        if (string.IsNullOrWhiteSpace(d.Name)) Error("name", "missing; give the plan a name");

        var card = Card(d.Card);
        var registers = new Dictionary<string, ValirqReg>(StringComparer.Ordinal);
        foreach (var (name, r) in d.Registers)
        {
            var path = $"registers:{name}";
            if (r.Bar is < 0 or > MaxBar) Error($"{path}:bar", $"{r.Bar} is not a BAR number; use 0 to {MaxBar}");
            if (!RegisterWidths.Contains(r.Width)) Error($"{path}:width", $"{r.Width} is not an access width; use {OneOf([.. RegisterWidths.Select(w => $"{w}")])} (bytes)");
            else if (r.Offset % (uint)r.Width != 0) Error($"{path}:offset", $"0x{r.Offset:x} is not aligned to the width {r.Width}");
            if (!AddressSpaces.Contains(r.Space)) Error($"{path}:space", $"'{r.Space}' is not an address space; use {OneOf(AddressSpaces)}");
            registers[name] = new ValirqReg
            {
                Bar = (byte)Math.Clamp(r.Bar, 0, MaxBar), Width = (byte)r.Width, Space = r.Space == "io" ? Valirq.SpaceIo : Valirq.SpaceMem, Offset = r.Offset,
            };
        }

        ValirqProgram? program = null;
        List<uint>? vectorStatus = null;
        if (d.IrqProgram is { } p)
        {
            var prog = new ValirqProgram();
            if (p.Check is null) Error("irqProgram:check", "missing; say how to tell that the card is interrupting (op read-ne or read-eq)");
            else prog.Check = Step(p.Check, "irqProgram:check", registers, check: true);
            prog.NAck = Steps(p.Ack, "irqProgram:ack", registers, prog.Ack);
            prog.NMask = Steps(p.Mask, "irqProgram:mask", registers, prog.Mask);
            prog.NUnmask = Steps(p.Unmask, "irqProgram:unmask", registers, prog.Unmask);
            if ((prog.NMask == 0) != (prog.NUnmask == 0))
                Error("irqProgram", "mask and unmask go together: give both (masking at the card) or neither (PCI 2.3 Interrupt Disable)");
            if (p.ReadToClear == true)
            {
                prog.Flags |= Valirq.ProgReadToClear;
                // What the check read is gone from the card: a step that reads the register again gets what came after.
                for (int i = 0; i < prog.NAck; i++)
                    if (prog.Ack[i].Op is Valirq.OpSetBits or Valirq.OpClearBits && SameReg(prog.Ack[i].Reg, prog.Check.Reg))
                        Error($"irqProgram:ack:{i}:op", "reads the check's register again, which readToClear says clears when read; write it (write, write-status) or leave it");
            }
            if (p.VectorStatus is { } vs)
            {
                if (vs.Count > MaxMsixEntry + 1) Error("irqProgram:vectorStatus", $"{vs.Count} entries; valirq enables MSI-X table entries 0 to {MaxMsixEntry}");
                for (int i = 0; i < vs.Count; i++)
                    if ((vs[i] & ~prog.Check.Mask) != 0 || vs[i] == 0)
                        Error($"irqProgram:vectorStatus:{i}", $"0x{vs[i]:x}: give the check's status bits (mask 0x{prog.Check.Mask:x}) that vector {i} serves");
                vectorStatus = vs;
            }
            program = prog;
        }
        var init = new ValirqInit();
        init.NInit = Steps(d.Init, "init", registers, init.Init, statusFree: true);
        init.NDisable = Steps(d.Disable, "disable", registers, init.Disable, statusFree: true);
        var quiesce = new ValirqQuiesce();
        quiesce.NSteps = Steps(d.Quiesce, "quiesce", registers, quiesce.Steps);
        var release = d.Release ?? ReleasePolicies[0];
        var policy = Array.IndexOf(ReleasePolicies, release);
        if (policy < 0)
            Error("release", $"'{release}' is not a release policy; use quiesce (run the quiesce program), reset (reset the function) or quiesce-then-reset (reset when the quiesce program leaves the card interrupting)");
        quiesce.Policy = (uint)Math.Max(0, policy);

        Stimulus? stimulus = null;
        if (d.Stimulus is { } s)
        {
            var tags = Tags(s);
            if (s.Register is null || !registers.TryGetValue(s.Register, out var reg))
                Error("stimulus:register", $"'{s.Register}' is not a register of this plan; name one from \"registers\" ({string.Join(", ", registers.Keys)})");
            else stimulus = new Stimulus(reg, s.Value, tags);
        }
        var health = new List<HealthCheck>();
        for (int i = 0; i < d.Health.Count; i++)
        {
            var h = d.Health[i];
            var path = $"health:{i}";
            if (h.Register is null || !registers.TryGetValue(h.Register, out var reg))
            {
                Error($"{path}:register", $"'{h.Register}' is not a register of this plan; name one from \"registers\" ({string.Join(", ", registers.Keys)})");
                continue;
            }
            if (h.Expect is null) { Error($"{path}:expect", "missing; give what (register & mask) must read"); continue; }
            if ((h.Expect.Value & ~h.Mask) != 0) Error($"{path}:expect", $"0x{h.Expect.Value:x} has bits outside mask 0x{h.Mask:x}, so it can never match; clear them or widen the mask");
            if (h.WithinMs is < 0 or > MaxWithinMs) Error($"{path}:withinMs", $"{h.WithinMs}: give 0 (one read) to {MaxWithinMs} ms");
            health.Add(new HealthCheck(h.Register, reg, h.Write, h.Mask, h.Expect.Value, h.WithinMs));
        }

        var rt = d.Realtime;
        var priority = rt.Priority ?? 80;
        if (priority is < MinPriority or > MaxPriority) Error("realtime:priority", $"{priority} is not a SCHED_FIFO priority; use {MinPriority} to {MaxPriority}");
        var onFailure = rt.OnFailure ?? OnFailureActions[0];
        if (!OnFailureActions.Contains(onFailure)) Error("realtime:onFailure", $"'{onFailure}': use abort (stop the run) or flag (run, marked not real-time)");
        var realtime = new RealtimeSettings(rt.LockMemory ?? true, priority, rt.DmaLatency ?? true, onFailure == OnFailureActions[0], rt.Prefault ?? false);

        var loads = new Dictionary<string, LoadProfile>(StringComparer.Ordinal) { ["idle"] = LoadProfile.Idle };
        foreach (var (name, l) in d.Loads)
        {
            var cmds = new List<LoadCommand>();
            for (int i = 0; i < l.Commands.Count; i++)
            {
                var c = l.Commands[i];
                var path = $"loads:{name}:commands:{i}";
                switch (c.Kind)
                {
                    case ProcessLoadKind:
                        if (string.IsNullOrWhiteSpace(c.Program)) Error($"{path}:program", "missing; name the program to run (stress-ng, hackbench, ...)");
                        cmds.Add(new LoadCommand(LoadKind.Process, c.Program ?? "", c.Args, 0));
                        break;
                    case IrqFloodLoadKind:
                        if (c.RateHz < 0) Error($"{path}:rateHz", $"{c.RateHz}: use 0 (as fast as possible) or a rate above 0");
                        cmds.Add(new LoadCommand(LoadKind.IrqFlood, "", [], c.RateHz));
                        break;
                    default:
                        Error($"{path}:kind", $"'{c.Kind}': use {OneOf(LoadCommandKinds)}");
                        break;
                }
            }
            loads[name] = new LoadProfile(name, l.Description, cmds);
        }

        var drivers = new Dictionary<string, DriverCommand>(StringComparer.Ordinal);
        foreach (var (name, dr) in d.Drivers)
        {
            if (string.IsNullOrWhiteSpace(dr.Program)) Error($"drivers:{name}:program", "missing; give the driver executable (docs/driver-channel.md says what it must speak)");
            else drivers[name] = new DriverCommand(name, dr.Program, dr.Args, dr.Description);
        }
        var suites = new List<SuitePlan>();
        if (d.Suites.Count == 0) Error("suites", "no suites; list at least one");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < d.Suites.Count; i++)
        {
            var suite = Suite(d.Suites[i], d.SuiteDefaults, $"suites:{i}", loads, registers, program, stimulus, drivers);
            if (suite is null) continue;
            if (!seen.Add(suite.Name)) Error($"suites:{i}:name", $"'{suite.Name}' is used twice; suite names are test names and must be unique");
            suites.Add(suite);
        }

        if (_errors.Count > 0) throw new PlanException(_errors);
        return new Plan(planPath, d.Name!, d.Description, card!, registers, program, quiesce, stimulus, realtime, suites, init, health, VectorStatus: vectorStatus);
    }

    private CardIdentity? Card(CardSpec? c)
    {
        if (c is null)
        {
            Error("card", "missing; name the card: {\"name\": ..., \"vendor\": \"0x10ee\", \"device\": \"0x7021\"} (timer-only plans too: use the machine)");
            return null;
        }
        if (c.Vendor is null or > 0xffff) Error("card:vendor", $"'{c.Vendor}': give the 16-bit PCI vendor id, e.g. \"0x10ee\"");
        if (c.Device is null or > 0xffff) Error("card:device", $"'{c.Device}': give the 16-bit PCI device id, e.g. \"0x7021\"");
        if (c.Revision is > 0xff) Error("card:revision", $"'{c.Revision}': a PCI revision is 8 bits");
        if (c.Address is not null && !PciAddress().IsMatch(c.Address)) Error("card:address", $"'{c.Address}' is not a PCI address; use DDDD:BB:DD.F, e.g. 0000:00:04.0");
        if (c.FloodAddress is not null && !PciAddress().IsMatch(c.FloodAddress)) Error("card:floodAddress", $"'{c.FloodAddress}' is not a PCI address; use DDDD:BB:DD.F");
        return new CardIdentity(c.Name ?? "card", (ushort)(c.Vendor ?? 0), (ushort)(c.Device ?? 0), (byte?)c.Revision, c.Address, c.FloodAddress);
    }

    private uint Steps(List<StepSpec> specs, string path, Dictionary<string, ValirqReg> regs, Span<ValirqStep> into, bool statusFree = false)
    {
        if (specs.Count > Valirq.MaxSteps)
        {
            Error(path, $"{specs.Count} steps; valirq runs at most {Valirq.MaxSteps}");
            return 0;
        }
        for (int i = 0; i < specs.Count; i++)
        {
            into[i] = Step(specs[i], $"{path}:{i}", regs, check: false);
            if (statusFree && into[i].Op == Valirq.OpWriteStatus)
                Error($"{path}:{i}:op", $"'{specs[i].Op}': {path} runs with no interrupt status to write; use {OneOf(StatusFreeStepOps)}");
        }
        return (uint)specs.Count;
    }

    private static bool SameReg(in ValirqReg a, in ValirqReg b) => a.Bar == b.Bar && a.Offset == b.Offset && a.Space == b.Space;

    /// <summary>stimulus.tag, tagBits, statusShift: how the fault suites tell raises apart.</summary>
    private TagScheme Tags(StimulusSpec s)
    {
        switch (s.Tag ?? TagBitsKind)
        {
            case TagNoneKind:
                if (s.TagBits is not null) Error("stimulus:tagBits", "tag none rotates no bits; remove tagBits or use tag bits");
                if (s.StatusShift is not null) Error("stimulus:statusShift", "tag none shows no bits back; remove statusShift or use tag bits");
                return TagScheme.None(s.Value);
            case TagBitsKind:
                var bits = s.TagBits ?? 0xffffffff;
                var shift = s.StatusShift ?? 0;
                if (bits == 0) Error("stimulus:tagBits", "0 rotates nothing; give the bits of the raise value that tell raises apart, or \"tag\": \"none\"");
                if (shift is < -MaxStatusShift or > MaxStatusShift) Error("stimulus:statusShift", $"{shift}: give -{MaxStatusShift} to {MaxStatusShift}");
                else if ((shift >= 0 ? (ulong)bits << shift : bits >> -shift) is var shown && (shown > uint.MaxValue || System.Numerics.BitOperations.PopCount((uint)shown) != System.Numerics.BitOperations.PopCount(bits)))
                    Error("stimulus:statusShift", $"{shift} shifts tag bits 0x{bits:x} out of the 32-bit status; give a shift that keeps them all");
                return TagScheme.Rotate(bits, shift, s.Value);
            default:
                Error("stimulus:tag", $"'{s.Tag}': use bits (rotate one of tagBits per raise, shown back in the status) or none (count only)");
                return TagScheme.None(s.Value);
        }
    }

    private ValirqStep Step(StepSpec s, string path, Dictionary<string, ValirqReg> regs, bool check)
    {
        uint op = s.Op is null ? 0 : Array.IndexOf(CheckOps, s.Op) is var c and >= 0 ? CheckOpCodes[c] : Array.IndexOf(StepOps, s.Op) is var w and >= 0 ? StepOpCodes[w] : 0;
        if (op == 0) Error($"{path}:op", $"'{s.Op}' is not an op; use {OneOf(check ? CheckOps : StepOps)}");
        else if (check != CheckOps.Contains(s.Op))
            Error($"{path}:op", check ? $"'{s.Op}': a check reads; use {OneOf(CheckOps)}" : $"'{s.Op}': a step writes; use {OneOf(StepOps)}");
        if (s.Register is null || !regs.TryGetValue(s.Register, out var reg))
        {
            Error($"{path}:register", $"'{s.Register}' is not a register of this plan; name one from \"registers\" ({string.Join(", ", regs.Keys)})");
            reg = default;
        }
        return new ValirqStep { Reg = reg, Op = op, Mask = s.Mask, Value = s.Value };
    }

    /// <summary>
    /// One suite: the name and kind every suite has, then its kind's method, which checks the kind's own keys
    /// and has the keys every kind shares checked by <see cref="SharedKeys"/> under the kind's
    /// <see cref="KindRules"/>. A new kind is a case here, its rules and a method for its own keys.
    /// </summary>
    private SuitePlan? Suite(SuiteSpec s, SuiteSpec dflt, string path, Dictionary<string, LoadProfile> loads,
        Dictionary<string, ValirqReg> regs, ValirqProgram? program, Stimulus? stimulus, Dictionary<string, DriverCommand> drivers)
    {
        var errorsBefore = _errors.Count;
        var name = s.Name;
        if (string.IsNullOrWhiteSpace(name) || !SuiteName().IsMatch(name))
            Error($"{path}:name", $"'{name}': give a name of lower-case letters, digits and dashes (it is the test name history keys on)");
        var kind = s.Kind ?? dflt.Kind ?? LatencyKind;
        if (!SuiteKinds.Contains(kind)) Error($"{path}:kind", $"'{kind}' is not a suite kind this engine runs; use {OneOf(SuiteKinds)}");
        if (kind == FaultKind) return FaultSuite(s, dflt, path, name, loads, stimulus, drivers, errorsBefore);
        RefuseFaultKeys(s, path);
        return LatencySuite(s, dflt, path, name, loads, program, stimulus, errorsBefore);
    }

    /// <summary>
    /// What a suite kind asks of the keys every suite shares: the rates and priorities it runs at, whether it
    /// takes one CPU only, the stages its limits may name. <see cref="SharedKeys"/> does the checking.
    /// </summary>
    /// <param name="RateWhy">appended to a rateHz error: why the kind's range is what it is ("" for none)</param>
    /// <param name="PriorityWhy">appended to "N is not a SCHED_FIFO priority" ("" for none)</param>
    /// <param name="OneCpu">null: any number of CPUs; else the error for a list of more than one</param>
    private sealed record KindRules(int DefaultRateHz, int MinRateHz, int MaxRateHz, string RateWhy,
        int MinPriority, string PriorityWhy, string? OneCpu, IReadOnlyList<string> Stages);

    private static KindRules LatencyRules(BackendKind backend) => new(
        DefaultRateHz: 1000, MinRateHz: 0, MaxRateHz: LatencyMaxRateHz, RateWhy: "",
        MinPriority: MinPriority, PriorityWhy: "",
        OneCpu: backend == BackendKind.Timer ? null : "interrupt backends measure on one CPU: give one",
        Stages: StagesOf(backend));

    private static readonly KindRules FaultRules = new(
        DefaultRateHz: 200, MinRateHz: FaultMinRateHz, MaxRateHz: FaultMaxRateHz, RateWhy: " (the stimulus of a fault suite needs a rate)",
        MinPriority: FaultMinPriority, PriorityWhy: " for a fault suite (its driver runs one below the stimulus)",
        OneCpu: "a fault suite runs its driver and the stimulus on one CPU: give one",
        Stages: FaultPlan.Stages);

    /// <summary>The keys every suite kind reads, checked: what <see cref="SharedKeys"/> gives the kind's method.</summary>
    private sealed record SharedSuiteKeys(IReadOnlyList<int> Cpus, int Priority, int RateHz, int TimeoutMs, LoadProfile Load, double LoadSettleS, Limits Limits);

    /// <summary>
    /// Checks the keys every suite kind shares, each taken from the suite, else from suiteDefaults, else the
    /// default: rateHz, cpus, priority, timeoutMs, load, loadSettleS, limits. Ranges that differ by kind come
    /// from <paramref name="rules"/>; the checks and their messages are the same for every kind.
    /// </summary>
    private SharedSuiteKeys SharedKeys(SuiteSpec s, SuiteSpec dflt, string path, KindRules rules, Dictionary<string, LoadProfile> loads)
    {
        var rate = s.RateHz ?? dflt.RateHz ?? rules.DefaultRateHz;
        if (rate < rules.MinRateHz || rate > rules.MaxRateHz)
            Error($"{path}:rateHz", $"{rate}: use {(rules.MinRateHz == 0 ? "0 (back to back)" : $"{rules.MinRateHz}")} up to {rules.MaxRateHz} per second{rules.RateWhy}");
        var cpus = s.Cpus ?? dflt.Cpus ?? [cpuCount - 1];
        if (cpus.Count == 0) Error($"{path}:cpus", "empty; list the CPUs to measure on, e.g. [1]");
        foreach (var c in cpus)
            if (c < 0 || c >= cpuCount) Error($"{path}:cpus", $"CPU {c} does not exist on this machine (it has 0 to {cpuCount - 1})");
        if (rules.OneCpu is { } one && cpus.Count > 1) Error($"{path}:cpus", one);
        var priority = s.Priority ?? dflt.Priority ?? 80;
        if (priority < rules.MinPriority || priority > MaxPriority)
            Error($"{path}:priority", $"{priority} is not a SCHED_FIFO priority{rules.PriorityWhy}; use {rules.MinPriority} to {MaxPriority}");
        var timeout = s.TimeoutMs ?? dflt.TimeoutMs ?? 1000;
        if (timeout is < MinTimeoutMs or > MaxTimeoutMs) Error($"{path}:timeoutMs", $"{timeout}: give {MinTimeoutMs} to {MaxTimeoutMs} ms");
        var loadName = s.Load ?? dflt.Load ?? "idle";
        if (!loads.TryGetValue(loadName, out var load))
        {
            Error($"{path}:load", $"'{loadName}' is not a load profile; use one of: {string.Join(", ", loads.Keys.Order(StringComparer.Ordinal))} (or define it under \"loads\")");
            load = LoadProfile.Idle;
        }
        var settle = s.LoadSettleS ?? dflt.LoadSettleS ?? 1.0;
        if (settle is not (>= 0 and <= MaxLoadSettleS)) Error($"{path}:loadSettleS", $"{settle}: give 0 to {MaxLoadSettleS} seconds");
        var limits = Limits(s.Limits ?? dflt.Limits, $"{path}:limits", rules.Stages);
        return new SharedSuiteKeys(cpus, priority, rate, timeout, load, settle, limits);
    }

    /// <summary>Keys only a fault suite reads are an error on any other kind.</summary>
    private void RefuseFaultKeys(SuiteSpec s, string path)
    {
        foreach (var (key, set) in new[] { ("fault", s.Fault is not null), ("repetitions", s.Repetitions is not null), ("driver", s.Driver is not null),
                     ("neighbour", s.Neighbour is not null), ("hangMs", s.HangMs is not null), ("recoveryTimeoutMs", s.RecoveryTimeoutMs is not null),
                     ("vfioReset", s.VfioReset is not null) })
            if (set) Error($"{path}:{key}", "only fault suites take this key; set \"kind\": \"fault\" or remove it");
    }

    /// <summary>irqPriority: the card's IRQ threads' SCHED_FIFO priority for a latency suite's window, or null (left as found).</summary>
    private int? IrqPriority(SuiteSpec s, SuiteSpec dflt, string path, BackendKind backend)
    {
        var own = s.IrqPriority;
        var prio = own ?? dflt.IrqPriority;
        if (prio is null) return null;
        if (backend == BackendKind.Timer)
        {
            // A default for every suite does not make the timer suites wrong; the timer's own key does.
            if (own is not null) Error($"{path}:irqPriority", "the timer backend has no card and no IRQ thread; remove irqPriority from this suite");
            return null;
        }
        if (prio is < MinPriority or > MaxPriority)
            Error(own is not null ? $"{path}:irqPriority" : "suiteDefaults:irqPriority", $"{prio} is not a SCHED_FIFO priority; use {MinPriority} to {MaxPriority}");
        return prio;
    }

    /// <summary>A latency suite: a backend (valirq, uio, timer) measuring interrupt or timer latency by stage.</summary>
    private SuitePlan? LatencySuite(SuiteSpec s, SuiteSpec dflt, string path, string? name, Dictionary<string, LoadProfile> loads,
        ValirqProgram? program, Stimulus? stimulus, int errorsBefore)
    {
        BackendKind backend = BackendKind.Timer;
        var backendName = s.Backend ?? dflt.Backend;
        if (backendName is not null && Backends.Contains(backendName)) backend = Enum.Parse<BackendKind>(backendName, ignoreCase: true);
        else Error($"{path}:backend", $"'{backendName}': use {OneOf(Backends)}");
        var mode = s.Mode ?? (backend switch { BackendKind.Valirq or BackendKind.Vfio => "msi", BackendKind.Uio => UioModes[0], _ => TimerModes[0] });
        switch (backend)
        {
            case BackendKind.Valirq when !ValirqModes.Contains(mode):
                Error($"{path}:mode", $"'{mode}' is not a valirq mode; use {string.Join(", ", ValirqModes)}");
                break;
            case BackendKind.Vfio when !VfioModes.Contains(mode):
                Error($"{path}:mode", $"'{mode}' is not a vfio mode; use {string.Join(", ", VfioModes)}");
                break;
            case BackendKind.Uio when !UioModes.Contains(mode):
                Error($"{path}:mode", $"'{mode}': uio_pci_generic delivers INTx only; use {OneOf(UioModes)}");
                break;
            case BackendKind.Timer when !TimerModes.Contains(mode):
                Error($"{path}:mode", $"'{mode}': the timer backend has one mode, {OneOf(TimerModes)}");
                break;
        }
        if (backend is BackendKind.Valirq or BackendKind.Uio or BackendKind.Vfio && stimulus is null)
            Error($"{path}:backend", $"{backendName} needs a way to make the card interrupt: add \"stimulus\" to the plan");
        if (backend == BackendKind.Valirq && program is null)
            Error($"{path}:backend", "valirq needs the card's IRQ program: add \"irqProgram\" to the plan");
        if (backend == BackendKind.Valirq && mode == "intx-shared" && program is { NAck: 0, NMask: 0 })
            Error($"{path}:mode", "on a shared line the hard IRQ handler must silence the card: the IRQ program needs ack or mask steps (or use intx-pci23)");
        if (backend is BackendKind.Uio or BackendKind.Vfio && program is null)
            Error($"{path}:backend", $"{backendName} acknowledges the card from user space with the plan's IRQ program (check and ack): add \"irqProgram\"");

        var vectors = Vectors(s, dflt, path, mode);
        var shared = SharedKeys(s, dflt, path, LatencyRules(backend), loads);
        if (backend == BackendKind.Timer && shared.RateHz == 0) Error($"{path}:rateHz", "the timer backend needs a period: give rateHz above 0 (1000 is cyclictest's -i 1000)");
        var count = s.Count ?? dflt.Count;
        var duration = s.DurationS ?? dflt.DurationS;
        if (count is null && duration is null) Error($"{path}:count", "give count (samples) or durationS (seconds), or both (whichever comes first)");
        if (count is <= 0) Error($"{path}:count", $"{count}: give a number of samples above 0");
        if (duration is <= 0 or > MaxDurationS) Error($"{path}:durationS", $"{duration}: give seconds above 0 and at most {MaxDurationS}");
        var warmup = s.Warmup ?? dflt.Warmup ?? 100;
        if (warmup < 0) Error($"{path}:warmup", $"{warmup}: give a number of unrecorded iterations, 0 or more");
        var ring = s.RawRing ?? dflt.RawRing ?? 65536;
        if (ring < MinRawRing || (ring & (ring - 1)) != 0) Error($"{path}:rawRing", $"{ring}: give a power of two, at least {MinRawRing}");

        var trace = Trace(s.Trace ?? dflt.Trace, $"{path}:trace", backend);
        var irqPriority = IrqPriority(s, dflt, path, backend);

        if (_errors.Count > errorsBefore) return null;
        return new SuitePlan(name!, backend, mode, count ?? int.MaxValue, duration, shared.RateHz, shared.Cpus, shared.Priority, shared.Load, warmup,
            shared.TimeoutMs, shared.LoadSettleS, ring, shared.Limits, Vectors: vectors, Trace: trace, IrqPriority: irqPriority);
    }

    /// <summary>The suite's trace request: thresholds on the trace's stages or the backend's, how many worst events, the ring.</summary>
    private TracePlan? Trace(TraceSpec? t, string path, BackendKind backend)
    {
        if (t is null || t.Enabled == false) return null;
        if (backend is not (BackendKind.Valirq or BackendKind.Uio or BackendKind.Vfio))
        {
            Error(path, $"only interrupt latency suites (valirq, uio, vfio) are traced; remove it from this {backend.ToString().ToLowerInvariant()} suite");
            return null;
        }
        var thresholds = new Dictionary<string, long>(StringComparer.Ordinal);
        var stages = TracePlan.Stages.Concat(StagesOf(backend)).Distinct().ToList();
        foreach (var (stage, text) in t.Thresholds)
        {
            if (!stages.Contains(stage)) Error($"{path}:thresholds:{stage}", $"not a stage of this suite; use {string.Join(", ", stages)}");
            else if (Duration.TryParseNs(text) is { } ns and > 0) thresholds[stage] = ns;
            else Error($"{path}:thresholds:{stage}", $"'{text}' is not a duration; write it as \"500us\", \"2ms\" or \"1s\"");
        }
        var keep = t.Keep ?? TracePlan.DefaultKeep;
        if (keep is < 1 or > TracePlan.MaxKeep) Error($"{path}:keep", $"{keep}: keep 1 to {TracePlan.MaxKeep} worst events");
        var buffer = t.BufferKb ?? TracePlan.DefaultBufferKb;
        if (buffer is < TracePlan.MinBufferKb or > TracePlan.MaxBufferKb)
            Error($"{path}:bufferKb", $"{buffer}: give {TracePlan.MinBufferKb} to {TracePlan.MaxBufferKb} KiB per CPU");
        var freeze = t.Freeze ?? false;
        var own = StagesOf(backend).ToList();
        if (freeze && !t.Thresholds.Keys.Any(own.Contains))
            Error($"{path}:freeze", $"the loop freezes the ring on one of the backend's own stages ({string.Join(", ", own)}), which it sees as it measures; give one a threshold (\"thresholds\": {{ \"{own[^1]}\": \"500us\" }}) or remove freeze");
        long after = 0;
        if (t.FreezeAfter is { } afterText)
        {
            if (!freeze) Error($"{path}:freezeAfter", "freezeAfter says how long after the crossing the ring is frozen; set \"freeze\": true, or remove it");
            else if (Duration.TryParseNs(afterText) is { } afterNs and >= 0 and <= TracePlan.MaxFreezeAfterNs) after = afterNs;
            else Error($"{path}:freezeAfter", $"'{afterText}': give a duration from \"0\" to \"10s\" (\"5ms\")");
        }
        return new TracePlan(thresholds, keep, buffer, t.Marker ?? true, freeze, after);
    }

    /// <summary>A fault suite: a driver process under test, a fault injected into it many times, recovery measured.</summary>
    private SuitePlan? FaultSuite(SuiteSpec s, SuiteSpec dflt, string path, string? name, Dictionary<string, LoadProfile> loads,
        Stimulus? stimulus, Dictionary<string, DriverCommand> drivers, int errorsBefore)
    {
        if (s.Trace is not null) Error($"{path}:trace", "fault suites are not traced (their stages are the recovery's); trace a latency suite");
        if (s.IrqPriority is not null) Error($"{path}:irqPriority", "fault suites restart the driver and its IRQ thread with it; set irqPriority on a latency suite");
        var fault = s.Fault;
        if (fault is null || !FaultPlan.Kinds.Contains(fault))
            Error($"{path}:fault", $"'{fault}': name the fault to inject: {string.Join(", ", FaultPlan.Kinds)}");
        var backendName = s.Backend ?? FaultBackends[0];
        var vfio = backendName == "vfio";
        if (!FaultBackends.Contains(backendName))
            Error($"{path}:backend", $"'{backendName}': fault suites drive the card under test through {OneOf(FaultBackends)}; use {OneOf(FaultBackends)}");
        var mode = s.Mode ?? "msi";
        if (vfio && !VfioModes.Contains(mode))
            Error($"{path}:mode", $"'{mode}' is not a vfio mode; use {string.Join(", ", VfioModes)}");
        else if (!vfio && !FaultPlan.DriverModes.Contains(mode))
            Error($"{path}:mode", $"'{mode}' is not a driver mode; use {string.Join(", ", FaultPlan.DriverModes[..^1])} or {FaultPlan.DriverModes[^1]} (the driver acknowledges the card itself)");
        if (vfio && fault is not null && FaultPlan.Kinds.Contains(fault) && !FaultPlan.VfioKinds.Contains(fault))
            Error($"{path}:fault", $"'{fault}' is a fault of valirq's (rmmod valirq, valirq's revocation); through vfio use {string.Join(", ", FaultPlan.VfioKinds)}");
        if (vfio && s.Neighbour == true)
            Error($"{path}:neighbour", "the neighbour is served through uio beside a valirq card; remove it from a vfio suite");
        if (!vfio && s.VfioReset is not null)
            Error($"{path}:vfioReset", "only fault suites through vfio take this key; set \"backend\": \"vfio\" or remove it");
        if (stimulus is null) Error($"{path}:fault", "fault suites make the card interrupt: add \"stimulus\" to the plan");
        var reps = s.Repetitions ?? dflt.Repetitions ?? 20;
        if (reps is < 1 or > MaxRepetitions) Error($"{path}:repetitions", $"{reps}: give 1 to {MaxRepetitions} injections");
        var driverName = s.Driver ?? dflt.Driver;
        DriverCommand? driver = null;
        if (driverName is null || !drivers.TryGetValue(driverName, out driver))
            Error($"{path}:driver", $"'{driverName}' is not a driver of this plan; use one of: {string.Join(", ", drivers.Keys.Order(StringComparer.Ordinal))} (or define it under \"drivers\")");
        var vectors = Vectors(s, dflt, path, mode);
        var neighbour = s.Neighbour ?? false;
        if (neighbour && mode is "msi" or "msix") Error($"{path}:neighbour", $"{(mode == "msi" ? "an MSI" : "MSI-X")} has no shared line: the neighbour needs mode intx-pci23");
        var hang = s.HangMs ?? dflt.HangMs ?? 200;
        if (hang is < MinHangMs or > MaxHangMs) Error($"{path}:hangMs", $"{hang}: give {MinHangMs} to {MaxHangMs} ms");
        var recovery = s.RecoveryTimeoutMs ?? dflt.RecoveryTimeoutMs ?? 10_000;
        if (recovery is < MinRecoveryTimeoutMs or > MaxRecoveryTimeoutMs) Error($"{path}:recoveryTimeoutMs", $"{recovery}: give {MinRecoveryTimeoutMs} to {MaxRecoveryTimeoutMs} ms");
        var l = s.Limits ?? dflt.Limits;
        if (l is { MaxDuplicated: < 0 }) Error($"{path}:limits:maxDuplicated", $"{l.MaxDuplicated}: give 0 or more");

        var shared = SharedKeys(s, dflt, path, FaultRules, loads);
        if (neighbour && shared.Load.Commands.Any(c => c.Kind == LoadKind.IrqFlood))
            Error($"{path}:load", $"'{shared.Load.Name}' floods the other card, which the neighbour drives through uio_pci_generic: give this suite a load without irq-flood, or no neighbour");
        if (_errors.Count > errorsBefore) return null;
        var plan = new FaultPlan(fault!, reps, driver!, neighbour, hang, recovery, l?.MaxDuplicated ?? 0, s.VfioReset ?? false);
        return new SuitePlan(name!, vfio ? BackendKind.Vfio : BackendKind.Valirq, mode, reps, null, shared.RateHz, shared.Cpus, shared.Priority, shared.Load, 0,
            shared.TimeoutMs, shared.LoadSettleS, 1024, shared.Limits, plan, vectors);
    }

    /// <summary>vectors: the MSI-X table entries a msix suite enables (default [0]); no other mode takes it.</summary>
    private List<int>? Vectors(SuiteSpec s, SuiteSpec dflt, string path, string mode)
    {
        var v = s.Vectors ?? (mode == "msix" ? dflt.Vectors : null);
        if (mode != "msix")
        {
            if (s.Vectors is not null) Error($"{path}:vectors", $"only mode msix takes vectors (this suite's mode is {mode}); remove it or use msix");
            return null;
        }
        v ??= [0];
        if (v.Count == 0) Error($"{path}:vectors", "empty; list the MSI-X table entries to enable, e.g. [0]");
        foreach (var x in v)
            if (x is < 0 or > MaxMsixEntry) Error($"{path}:vectors", $"{x} is not an MSI-X table entry valirq enables; use 0 to {MaxMsixEntry}");
        if (v.Distinct().Count() != v.Count) Error($"{path}:vectors", "lists an entry twice; list each once");
        return v;
    }

    private Limits Limits(LimitsSpec? l, string path, IReadOnlyList<string> stages)
    {
        if (l is null) return Plans.Limits.None;
        var marginal = l.Marginal ?? 0.1;
        if (marginal is < 0 or >= 1) Error($"{path}:marginal", $"{marginal}: give a fraction from 0 to below 1 (0.1: the top 10 % below a limit is MARGINAL)");
        var list = new List<StageLimit>();
        foreach (var (stage, stats) in l.Stages)
        {
            if (!stages.Contains(stage))
            {
                Error($"{path}:stages:{stage}", $"not a stage of this backend; use {string.Join(", ", stages)}");
                continue;
            }
            foreach (var (stat, value) in stats)
            {
                var p = $"{path}:stages:{stage}:{stat}";
                if (!Statistics.Contains(stat)) { Error(p, $"not a statistic; use {string.Join(", ", Statistics)}"); continue; }
                if (Duration.TryParseNs(value) is not { } ns || ns <= 0) { Error(p, $"'{value}' is not a duration; write e.g. {Duration.Examples}"); continue; }
                list.Add(new StageLimit(stage, stat, ns));
            }
        }
        if (l.MaxLost is < 0) Error($"{path}:maxLost", $"{l.MaxLost}: give 0 or more");
        if (l.MaxMissed is < 0) Error($"{path}:maxMissed", $"{l.MaxMissed}: give 0 or more");
        if (l.MaxExtra is < 0) Error($"{path}:maxExtra", $"{l.MaxExtra}: give 0 or more");
        return new Limits(marginal, l.MaxLost ?? 0, l.MaxMissed ?? 0, list, l.MaxExtra);
    }

    [GeneratedRegex(PciAddressPattern)]
    private static partial Regex PciAddress();

    [GeneratedRegex(SuiteNamePattern)]
    private static partial Regex SuiteName();
}
