namespace Validate.Plans;

// The test plan as written (JSON, read through Microsoft.Extensions.Configuration). Every property here
// is a key a plan may use; any other key is an error (PlanLoader checks the tree against these types
// before binding). Names are camelCase in JSON, matched case-insensitively. docs/test-plans.md
// describes each key. PlanValidator turns a document into a checked Plan.

public sealed class PlanDocument
{
    /// <summary>Plan format version; this engine reads 1.</summary>
    public int Schema { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public CardSpec? Card { get; set; }
    public Dictionary<string, RegisterSpec> Registers { get; set; } = [];
    public IrqProgramSpec? IrqProgram { get; set; }
    /// <summary>Steps that make the card interrupt at all (interrupt enable, vector routing): valirq runs them at ENABLE.</summary>
    public List<StepSpec> Init { get; set; } = [];
    /// <summary>Steps that stop the card interrupting, run before the handlers go (and before the quiesce steps at release).</summary>
    public List<StepSpec> Disable { get; set; } = [];
    public List<StepSpec> Quiesce { get; set; } = [];
    /// <summary>The card's health after the faults: register reads with expected values, writes with read-back.</summary>
    public List<HealthCheckSpec> Health { get; set; } = [];
    /// <summary>What valirq does when the driver's file is released: quiesce (default), reset, quiesce-then-reset.</summary>
    public string? Release { get; set; }
    public StimulusSpec? Stimulus { get; set; }
    /// <summary>The plan of the other card on the shared line (path relative to this plan), whose card and programs the neighbour runs with; null: a second card like this one.</summary>
    public string? NeighbourCard { get; set; }
    public RealtimeSpec Realtime { get; set; } = new();
    public Dictionary<string, LoadProfileSpec> Loads { get; set; } = [];
    /// <summary>User-space drivers the fault suites run, by name (docs/driver-channel.md).</summary>
    public Dictionary<string, DriverSpec> Drivers { get; set; } = [];
    public SuiteSpec SuiteDefaults { get; set; } = new();
    public List<SuiteSpec> Suites { get; set; } = [];
}

public sealed class CardSpec
{
    public string? Name { get; set; }
    public uint? Vendor { get; set; }
    public uint? Device { get; set; }
    /// <summary>Expected revision; a card with another is refused (null: any).</summary>
    public uint? Revision { get; set; }
    /// <summary>PCI address of the card under test (null: the first card matching vendor:device).</summary>
    public string? Address { get; set; }
    /// <summary>PCI address of the card the irq-flood load drives (null: another card with the same ids).</summary>
    public string? FloodAddress { get; set; }
}

public sealed class RegisterSpec
{
    public int Bar { get; set; }
    public uint Offset { get; set; }
    public int Width { get; set; } = 4;
    /// <summary>"mem" or "io".</summary>
    public string Space { get; set; } = "mem";
}

public sealed class StepSpec
{
    /// <summary>read-ne, read-eq (a check); write, write-status, set-bits, clear-bits (a step).</summary>
    public string? Op { get; set; }
    public string? Register { get; set; }
    public uint Mask { get; set; } = 0xffffffff;
    public uint Value { get; set; }
}

public sealed class IrqProgramSpec
{
    public StepSpec? Check { get; set; }
    /// <summary>The check's register clears when read (an Intel NIC's ICR): read once, by whoever serves the interrupt.</summary>
    public bool? ReadToClear { get; set; }
    /// <summary>MSI-X: the status bits each vector serves, by table entry (a cause register shared by all vectors).</summary>
    public List<uint>? VectorStatus { get; set; }
    public List<StepSpec> Ack { get; set; } = [];
    public List<StepSpec> Mask { get; set; } = [];
    public List<StepSpec> Unmask { get; set; } = [];
}

public sealed class StimulusSpec
{
    public string? Register { get; set; }
    public uint Value { get; set; }
    /// <summary>How the fault suites tell raises apart: "bits" (rotate one bit of tagBits per raise) or "none" (count only).</summary>
    public string? Tag { get; set; }
    /// <summary>tag "bits": the bits of the raise value that rotate, one per raise (default: value's bits... see docs/test-plans.md).</summary>
    public uint? TagBits { get; set; }
    /// <summary>tag "bits": where the status shows a raised bit back: status bit = raise bit shifted left by this (negative: right).</summary>
    public int? StatusShift { get; set; }
}

public sealed class HealthCheckSpec
{
    public string? Register { get; set; }
    /// <summary>Written first (null: a read only).</summary>
    public uint? Write { get; set; }
    public uint Mask { get; set; } = 0xffffffff;
    /// <summary>What (register &amp; mask) must read.</summary>
    public uint? Expect { get; set; }
    /// <summary>Read again until it matches, for up to this long (0: one read).</summary>
    public int WithinMs { get; set; }
}

public sealed class RealtimeSpec
{
    public bool? LockMemory { get; set; }
    public int? Priority { get; set; }
    public bool? DmaLatency { get; set; }
    /// <summary>"abort": a failed real-time set-up stops the run; "flag": it runs, marked not real-time.</summary>
    public string? OnFailure { get; set; }
}

public sealed class LoadProfileSpec
{
    public string? Description { get; set; }
    public List<LoadCommandSpec> Commands { get; set; } = [];
}

public sealed class LoadCommandSpec
{
    /// <summary>"process" (run Program with Args) or "irq-flood" (interrupts on the flood card).</summary>
    public string Kind { get; set; } = "process";
    public string? Program { get; set; }
    public List<string> Args { get; set; } = [];
    /// <summary>irq-flood: interrupts per second (0: as fast as the card takes them).</summary>
    public int RateHz { get; set; }
}

public sealed class DriverSpec
{
    public string? Description { get; set; }
    /// <summary>The driver executable; a relative path is relative to the Validate checkout.</summary>
    public string? Program { get; set; }
    public List<string> Args { get; set; } = [];
}

public sealed class SuiteSpec
{
    public string? Name { get; set; }
    /// <summary>latency or fault.</summary>
    public string? Kind { get; set; }
    /// <summary>fault suites: kill-in-handler, kill-random, kill-idle, hang, rebind, reload, revoke.</summary>
    public string? Fault { get; set; }
    /// <summary>fault suites: how many times the fault is injected.</summary>
    public int? Repetitions { get; set; }
    /// <summary>fault suites: the driver under test, a name from "drivers".</summary>
    public string? Driver { get; set; }
    /// <summary>fault suites: drive the other card on the shared line (uio_pci_generic) with its own driver throughout.</summary>
    public bool? Neighbour { get; set; }
    /// <summary>fault suite hang: how long the driver stays stopped (SIGSTOP) before the watchdog kills it.</summary>
    public int? HangMs { get; set; }
    /// <summary>fault suites: how long a (re)started driver has to report ready and handle its first interrupt.</summary>
    public int? RecoveryTimeoutMs { get; set; }
    /// <summary>fault suites through vfio: the driver resets the function (VFIO_DEVICE_RESET) right after opening it.</summary>
    public bool? VfioReset { get; set; }
    /// <summary>valirq, uio, vfio or timer.</summary>
    public string? Backend { get; set; }
    /// <summary>valirq: msi, msix, intx-exclusive, intx-shared, intx-pci23.</summary>
    public string? Mode { get; set; }
    /// <summary>mode msix: the MSI-X table entries to enable (default [0]).</summary>
    public List<int>? Vectors { get; set; }
    public int? Count { get; set; }
    public double? DurationS { get; set; }
    /// <summary>Stimuli (or timer periods) per second; 0 = back to back.</summary>
    public int? RateHz { get; set; }
    public List<int>? Cpus { get; set; }
    public int? Priority { get; set; }
    public string? Load { get; set; }
    public int? Warmup { get; set; }
    /// <summary>How long to wait for one interrupt before counting it lost.</summary>
    public int? TimeoutMs { get; set; }
    /// <summary>Seconds the load runs before measuring starts.</summary>
    public double? LoadSettleS { get; set; }
    /// <summary>Raw samples kept in memory between the measuring thread and the writer (power of two).</summary>
    public int? RawRing { get; set; }
    public LimitsSpec? Limits { get; set; }
}

public sealed class LimitsSpec
{
    /// <summary>Fraction below a limit that counts as MARGINAL (0.1: within 10 % of the limit).</summary>
    public double? Marginal { get; set; }
    public long? MaxLost { get; set; }
    public long? MaxMissed { get; set; }
    /// <summary>Interrupts more than stimuli (a card that raises some by itself); default: maxLost.</summary>
    public long? MaxExtra { get; set; }
    /// <summary>fault suites: interrupts handled twice (limit; default 0).</summary>
    public long? MaxDuplicated { get; set; }
    /// <summary>stage name -> statistic (p50, p90, p99, p99.9, p99.99, max) -> duration ("200us", "2ms").</summary>
    public Dictionary<string, Dictionary<string, string>> Stages { get; set; } = [];
}
