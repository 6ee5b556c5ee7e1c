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
    IReadOnlyList<SuitePlan> Suites,
    ValirqInit Init = default,
    IReadOnlyList<HealthCheck>? Health = null,
    Plan? NeighbourCard = null,
    IReadOnlyList<uint>? VectorStatus = null)
{
    /// <summary>The card the fault suites' neighbour runs: the plan named by neighbourCard, else this one (a second card like it).</summary>
    public Plan Neighbour => NeighbourCard ?? this;

    /// <summary>The check's register clears when read: whoever serves the interrupt reads it once (irqProgram.readToClear).</summary>
    public bool ReadToClear => Program is { } p && (p.Flags & Valirq.ProgReadToClear) != 0;

    /// <summary>What changed the plan as written: VALIDATE_PLAN__* variables and --set overrides, as KEY=VALUE, in the order applied.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>The plan key "release" (quiesce, reset, quiesce-then-reset); valirq gets it as <see cref="Quiesce"/>.Policy.</summary>
    public string Release => Plans.PlanValidator.ReleaseName(Quiesce.Policy);
}

public sealed record CardIdentity(string Name, ushort Vendor, ushort Device, byte? Revision, string? Address, string? FloodAddress);

/// <summary>The register write that makes the card interrupt, the value written, and how the fault suites tag raises.</summary>
public sealed record Stimulus(ValirqReg Register, uint Value, TagScheme Tags)
{
    public Stimulus(ValirqReg register, uint value) : this(register, value, TagScheme.Rotate(0xffffffff, 0, value)) { }
}

/// <summary>
/// How the fault suites tell raises apart (plan keys stimulus.tag, tagBits, statusShift). With bits, raise i
/// writes the stimulus value with its tag bits replaced by the i-th of them (rotating), and the card's status
/// shows that bit back, shifted by <see cref="StatusShift"/>; the accounting matches each raise to the report
/// whose status carries its bit. With none (<see cref="Count"/> 1), every raise writes the value and any
/// report with a non-zero status serves the raises waiting: losses and duplicates are still found, coalescing
/// is not told from loss within one report.
/// </summary>
public sealed record TagScheme(uint Value, uint Bits, int StatusShift)
{
    private readonly int[] _bit = Positions(Bits);

    /// <summary>Rotate over the set bits of <paramref name="bits"/> (at most 32).</summary>
    public static TagScheme Rotate(uint bits, int statusShift, uint value) => new(value, bits, statusShift);

    /// <summary>Count-only accounting: one tag.</summary>
    public static TagScheme None(uint value) => new(value, 0, 0);

    public bool CountOnly => Bits == 0;

    /// <summary>How many raises the scheme tells apart (1 when count-only).</summary>
    public int Count => CountOnly ? 1 : _bit.Length;

    /// <summary>The value raise <paramref name="i"/> writes.</summary>
    public uint RaiseValue(int i) => CountOnly ? Value : (Value & ~Bits) | (1u << _bit[i % _bit.Length]);

    /// <summary>The status bits tag <paramref name="tag"/> shows as (count-only: every bit).</summary>
    public uint StatusBitOf(int tag) => CountOnly ? uint.MaxValue : Shift(1u << _bit[tag]);

    /// <summary>The tags a report's status carries, as a bit set over tag numbers (count-only: tag 0 when non-zero).</summary>
    public ulong TagsIn(uint status)
    {
        if (CountOnly) return status != 0 ? 1ul : 0;
        ulong tags = 0;
        for (int t = 0; t < _bit.Length; t++)
            if ((status & Shift(1u << _bit[t])) != 0) tags |= 1ul << t;
        return tags;
    }

    private uint Shift(uint bit) => StatusShift >= 0 ? bit << StatusShift : bit >> -StatusShift;

    private static int[] Positions(uint bits) => Enumerable.Range(0, 32).Where(b => (bits & (1u << b)) != 0).ToArray();

    public override string ToString() => CountOnly ? "none (count only)" : $"bits 0x{Bits:x}{(StatusShift != 0 ? $", status shift {StatusShift}" : "")}";
}

/// <summary>One check of the card's health after the faults: write (optional), then (read &amp; mask) must equal Expect, within WithinMs.</summary>
public sealed record HealthCheck(string RegisterName, ValirqReg Register, uint? Write, uint Mask, uint Expect, int WithinMs);

public sealed record RealtimeSettings(bool LockMemory, int Priority, bool DmaLatency, bool AbortOnFailure, bool PrefaultMemory = false);

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

public enum BackendKind { Valirq, Uio, Timer, Vfio }

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
    FaultPlan? Fault = null,
    IReadOnlyList<int>? Vectors = null,
    TracePlan? Trace = null,
    int? IrqPriority = null)
{
    /// <summary>Mode msix: the MSI-X table entries to enable, as valirq_enable.vectors.</summary>
    public uint VectorMask => Mode == "msix" ? (Vectors ?? [0]).Aggregate(0u, (m, v) => m | (1u << v)) : 0;

    public bool IsFault => Fault is not null;
}

/// <summary>A user-space driver executable that speaks the driver channel (docs/driver-channel.md).</summary>
public sealed record DriverCommand(string Name, string Program, IReadOnlyList<string> Args, string? Description);

/// <summary>What a fault suite injects, how often, into which driver; see docs/test-plans.md.</summary>
public sealed record FaultPlan(string Kind, int Repetitions, DriverCommand Driver, bool Neighbour, int HangMs, int RecoveryTimeoutMs, long MaxDuplicated,
    bool VfioReset = false)
{
    public static readonly string[] Kinds = ["kill-in-handler", "kill-random", "kill-idle", "hang", "rebind", "reload", "revoke", "revoke-in-handler"];

    /// <summary>valirq takes the card away and the same driver process opens it again (revoke, revoke-in-handler).</summary>
    public static bool IsRevoke(string kind) => kind is "revoke" or "revoke-in-handler";
    /// <summary>The faults a driver on vfio-pci can be given (reload and the revokes are valirq's).</summary>
    public static readonly string[] VfioKinds = ["kill-in-handler", "kill-random", "kill-idle", "hang", "rebind"];
    public static readonly string[] DriverModes = ["msi", "msix", "intx-pci23"];

    /// <summary>The recovery stages, in the order they happen: see docs/results.md.</summary>
    public static readonly string[] Stages = ["exit", "start", "setup", "first-irq", "total"];
}

public sealed record Limits(double Marginal, long MaxLost, long MaxMissed, IReadOnlyList<StageLimit> Stages, long? MaxExtraOrNull = null)
{
    /// <summary>Interrupts more than stimuli allowed (limit key maxExtra; default: maxLost's).</summary>
    public long MaxExtra => MaxExtraOrNull ?? MaxLost;

    public static readonly Limits None = new(0.1, long.MaxValue, long.MaxValue, []);
}

/// <summary>A limit on one statistic of one stage, in ns.</summary>
public sealed record StageLimit(string Stage, string Statistic, long Ns);

/// <summary>A suite traced with ftrace: the stage split from the trace, and the worst events over a threshold analysed (docs/test-plans.md, "trace").</summary>
public sealed record TracePlan(IReadOnlyDictionary<string, long> Thresholds, int Keep, int BufferKb, bool Marker = true, bool Freeze = false, long FreezeAfterNs = 0)
{
    public const int DefaultKeep = 3, MaxKeep = 100, DefaultBufferKb = 16384, MinBufferKb = 256, MaxBufferKb = 1 << 20;
    /// <summary>The longest wait between the first crossing and the freeze (trace key freezeAfter).</summary>
    public const long MaxFreezeAfterNs = 10_000_000_000;

    /// <summary>The stages the trace splits a sample into, in the order they happen (docs/results.md).</summary>
    public static readonly string[] Stages = ["raise-hardirq", "hardirq-thread", "thread-wakeup", "wakeup-running", "running-user"];
}
