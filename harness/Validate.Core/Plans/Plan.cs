using Validate.Interop;

namespace Validate.Plans;

// A checked test plan: what PlanValidator makes of a PlanDocument. Everything here has been validated:
// the engine trusts it.

public sealed record Plan(
    string SourcePath,
    string Name,
    string? Description,
    CardIdentity Card,
    IReadOnlyDictionary<string, ValirqReg> Registers,
    ValirqProgram? Program,
    ValirqQuiesce Quiesce,
    Stimulus? Stimulus,
    RealtimeSettings Realtime,
    IReadOnlyList<SuitePlan> Suites)
{
    /// <summary>The plan key "release" (quiesce, reset, quiesce-then-reset); valirq gets it as <see cref="Quiesce"/>.Policy.</summary>
    public string Release => Plans.PlanValidator.ReleaseName(Quiesce.Policy);
}

public sealed record CardIdentity(string Name, ushort Vendor, ushort Device, byte? Revision, string? Address, string? FloodAddress);

/// <summary>The register write that makes the card interrupt (edu: 0x60), and the value written.</summary>
public sealed record Stimulus(ValirqReg Register, uint Value);

public sealed record RealtimeSettings(bool LockMemory, int Priority, bool DmaLatency, bool AbortOnFailure);

public enum LoadKind { Process, IrqFlood }

public sealed record LoadCommand(LoadKind Kind, string Program, IReadOnlyList<string> Args, int RateHz)
{
    public override string ToString() => Kind == LoadKind.IrqFlood
        ? $"irq-flood{(RateHz > 0 ? $" at {RateHz}/s" : "")}"
        : string.Join(' ', new[] { Program }.Concat(Args));
}

public sealed record LoadProfile(string Name, string? Description, IReadOnlyList<LoadCommand> Commands)
{
    public static readonly LoadProfile Idle = new("idle", "no load", []);
}

public enum BackendKind { Valirq, Uio, Timer }

public sealed record SuitePlan(
    string Name,
    BackendKind Backend,
    string Mode,
    int Count,
    double? DurationS,
    int RateHz,
    IReadOnlyList<int> Cpus,
    int Priority,
    LoadProfile Load,
    int Warmup,
    int TimeoutMs,
    double LoadSettleS,
    int RawRing,
    Limits Limits,
    FaultPlan? Fault = null)
{
    public bool IsFault => Fault is not null;
}

/// <summary>A user-space driver executable that speaks the driver channel (docs/driver-channel.md).</summary>
public sealed record DriverCommand(string Name, string Program, IReadOnlyList<string> Args, string? Description);

/// <summary>What a fault suite injects, how often, into which driver; see docs/test-plans.md.</summary>
public sealed record FaultPlan(string Kind, int Repetitions, DriverCommand Driver, bool Neighbour, int HangMs, int RecoveryTimeoutMs, long MaxDuplicated)
{
    public static readonly string[] Kinds = ["kill-in-handler", "kill-random", "kill-idle", "hang", "rebind", "reload", "revoke"];
    public static readonly string[] DriverModes = ["msi", "intx-pci23"];

    /// <summary>The recovery stages, in the order they happen: see docs/results.md.</summary>
    public static readonly string[] Stages = ["exit", "start", "setup", "first-irq", "total"];
}

public sealed record Limits(double Marginal, long MaxLost, long MaxMissed, IReadOnlyList<StageLimit> Stages)
{
    public static readonly Limits None = new(0.1, long.MaxValue, long.MaxValue, []);
}

/// <summary>A limit on one statistic of one stage, in ns.</summary>
public sealed record StageLimit(string Stage, string Statistic, long Ns);
