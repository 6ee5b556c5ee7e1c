using System.ComponentModel;

namespace Validate.Plans;

// The test plan as written (JSON, read through Microsoft.Extensions.Configuration). Every property here
// is a key a plan may use; any other key is an error (PlanLoader checks the tree against these types
// before binding). Names are camelCase in JSON, matched case-insensitively. docs/test-plans.md
// describes each key; each property's [Description] is what an editor shows for it (PlanSchema makes the
// JSON Schema of plans, testplans/plan.schema.json, from these types). PlanValidator turns a document
// into a checked Plan.

public sealed class PlanDocument
{
    [Description("Plan format version; this engine reads 1.")]
    public int Schema { get; set; }
    [Description("The plan's name, shown in results and reports.")]
    public string? Name { get; set; }
    [Description("What the plan covers, shown in results and reports.")]
    public string? Description { get; set; }
    [Description("The card under test: its name, PCI ids, expected revision and address.")]
    public CardSpec? Card { get; set; }
    [Description("The card's registers by name: BAR, offset, access width and address space. Steps, checks, the stimulus and health checks name them.")]
    public Dictionary<string, RegisterSpec> Registers { get; set; } = [];
    [Description("The IRQ program: how to tell the card is interrupting (check) and how to acknowledge, mask and unmask it. Run by valirq in the hard IRQ handler, and in user space by the uio and vfio backends and valirq's intx-pci23 mode.")]
    public IrqProgramSpec? IrqProgram { get; set; }
    [Description("Steps that make the card interrupt at all (interrupt enable, vector routing): valirq runs them at ENABLE, once its handlers are in; the uio and vfio backends from user space.")]
    public List<StepSpec> Init { get; set; } = [];
    [Description("Steps that stop the card interrupting, run before the handlers go (and before the quiesce steps at release).")]
    public List<StepSpec> Disable { get; set; } = [];
    [Description("Steps valirq runs when the driver's file is released (exit, kill) or the card is unbound, so that a dead driver leaves a silent card.")]
    public List<StepSpec> Quiesce { get; set; } = [];
    [Description("The card's health after the faults: register reads with expected values, writes with read-back. Without it the results say \"not checked\".")]
    public List<HealthCheckSpec> Health { get; set; } = [];
    [Description("What valirq does when the driver's file is released: quiesce (run the quiesce steps; the default), reset (reset the function), quiesce-then-reset (the steps, and a reset when the card still interrupts).")]
    public string? Release { get; set; }
    [Description("The register write that makes the card interrupt, and how the fault suites tell raises apart.")]
    public StimulusSpec? Stimulus { get; set; }
    [Description("The plan of the other card on the shared line (path relative to this plan), whose card and programs the fault suites' neighbour runs with; default: a second card like this one.")]
    public string? NeighbourCard { get; set; }
    [Description("Real-time set-up of the run: memory locking, SCHED_FIFO priority, /dev/cpu_dma_latency, and what a failure of it does.")]
    public RealtimeSpec Realtime { get; set; } = new();
    [Description("Load profiles by name (idle is built in): the commands run beside a suite to load the machine.")]
    public Dictionary<string, LoadProfileSpec> Loads { get; set; } = [];
    [Description("User-space drivers the fault suites run, by name (docs/driver-channel.md).")]
    public Dictionary<string, DriverSpec> Drivers { get; set; } = [];
    [Description("Any suite key, used where a suite does not set it.")]
    public SuiteSpec SuiteDefaults { get; set; } = new();
    [Description("The suites, run in this order: latency suites (a backend measuring interrupt or timer latency by stage) and fault suites (a driver killed, hung, unbound ... and its recovery timed).")]
    public List<SuiteSpec> Suites { get; set; } = [];
}

public sealed class CardSpec
{
    [Description("The card's name, shown in results and reports.")]
    public string? Name { get; set; }
    [Description("The 16-bit PCI vendor id, a number or a hex string such as \"0x10ee\".")]
    public uint? Vendor { get; set; }
    [Description("The 16-bit PCI device id, a number or a hex string such as \"0x7021\".")]
    public uint? Device { get; set; }
    [Description("Expected revision; a card with another is refused (default: any).")]
    public uint? Revision { get; set; }
    [Description("PCI address of the card under test, DDDD:BB:DD.F (default: the first card matching vendor:device).")]
    public string? Address { get; set; }
    [Description("PCI address of the card the irq-flood load drives (default: another card with the same ids).")]
    public string? FloodAddress { get; set; }
}

public sealed class RegisterSpec
{
    [Description("The BAR the register is in, 0 to 5.")]
    public int Bar { get; set; }
    [Description("The register's offset in its BAR, a number or a hex string; aligned to the width.")]
    public uint Offset { get; set; }
    [Description("Access width in bytes: 1, 2 or 4 (default 4).")]
    public int Width { get; set; } = 4;
    [Description("Address space of the BAR: mem (default) or io.")]
    public string Space { get; set; } = "mem";
}

public sealed class StepSpec
{
    [Description("read-ne, read-eq (a check: the card is interrupting when (register & mask) != value, or == value); write, write-status (write what the check read, masked), set-bits, clear-bits (a step).")]
    public string? Op { get; set; }
    [Description("The register read or written, a name from \"registers\".")]
    public string? Register { get; set; }
    [Description("The bits the op reads or changes (default 0xffffffff, all).")]
    public uint Mask { get; set; } = 0xffffffff;
    [Description("The value compared (a check) or written (a step); default 0.")]
    public uint Value { get; set; }
}

public sealed class IrqProgramSpec
{
    [Description("How to tell that the card is interrupting: op read-ne or read-eq on a register, with mask and value.")]
    public StepSpec? Check { get; set; }
    [Description("The check's register clears when read (an Intel NIC's ICR): read once, by whoever serves the interrupt; no ack step may set-bits or clear-bits it.")]
    public bool? ReadToClear { get; set; }
    [Description("MSI-X: the status bits each vector serves, by table entry (a cause register shared by all vectors).")]
    public List<uint>? VectorStatus { get; set; }
    [Description("Steps that acknowledge the card once the check found it interrupting (at most 8).")]
    public List<StepSpec> Ack { get; set; } = [];
    [Description("Steps that mask the card's interrupt at the card (at most 8); with unmask, or neither (PCI 2.3 Interrupt Disable).")]
    public List<StepSpec> Mask { get; set; } = [];
    [Description("Steps that unmask the card's interrupt at the card (at most 8); with mask, or neither.")]
    public List<StepSpec> Unmask { get; set; } = [];
}

public sealed class StimulusSpec
{
    [Description("The register written to make the card interrupt, a name from \"registers\".")]
    public string? Register { get; set; }
    [Description("The value written to raise an interrupt.")]
    public uint Value { get; set; }
    [Description("How the fault suites tell raises apart: bits (the default: rotate one bit of tagBits per raise, shown back in the status) or none (count only).")]
    public string? Tag { get; set; }
    [Description("tag bits: the bits of the raise value that rotate, one per raise (default all 32).")]
    public uint? TagBits { get; set; }
    [Description("tag bits: where the status shows a raised bit back: status bit = raise bit shifted left by this (negative: right), -31 to 31; default 0.")]
    public int? StatusShift { get; set; }
}

public sealed class HealthCheckSpec
{
    [Description("The register checked, a name from \"registers\".")]
    public string? Register { get; set; }
    [Description("Written first (default: a read only).")]
    public uint? Write { get; set; }
    [Description("The bits compared (default 0xffffffff, all).")]
    public uint Mask { get; set; } = 0xffffffff;
    [Description("What (register & mask) must read.")]
    public uint? Expect { get; set; }
    [Description("Read again until it matches, for up to this long, 0 to 60000 ms (0, the default: one read).")]
    public int WithinMs { get; set; }
}

public sealed class RealtimeSpec
{
    [Description("Lock the run's memory (mlockall); default true.")]
    public bool? LockMemory { get; set; }
    [Description("With lockMemory: read in and lock every mapping at the start (mlockall without MCL_ONFAULT) instead of each page as it is first touched; default false (what the measuring path touches is touched before each window, and its page faults in the window are counted).")]
    public bool? Prefault { get; set; }
    [Description("The SCHED_FIFO priority of the run's measuring threads, 1 to 99; default 80.")]
    public int? Priority { get; set; }
    [Description("Hold /dev/cpu_dma_latency at 0 during the run; default true.")]
    public bool? DmaLatency { get; set; }
    [Description("abort (the default): a failed real-time set-up stops the run (exit 4 with the limit and the fix); flag: it runs, marked NOT REAL-TIME.")]
    public string? OnFailure { get; set; }
}

public sealed class LoadProfileSpec
{
    [Description("What the load does, shown in results and reports.")]
    public string? Description { get; set; }
    [Description("The commands that make the load, started together and stopped when the suite ends.")]
    public List<LoadCommandSpec> Commands { get; set; } = [];
}

public sealed class LoadCommandSpec
{
    [Description("process (run program with args; the default) or irq-flood (interrupts on the flood card, through valirq).")]
    public string Kind { get; set; } = "process";
    [Description("kind process: the program to run (stress-ng, hackbench, ...), found on PATH or by path.")]
    public string? Program { get; set; }
    [Description("kind process: the program's arguments.")]
    public List<string> Args { get; set; } = [];
    [Description("kind irq-flood: interrupts per second (0: as fast as the card takes them).")]
    public int RateHz { get; set; }
}

public sealed class DriverSpec
{
    [Description("What the driver is, shown in results and reports.")]
    public string? Description { get; set; }
    [Description("The driver executable; a relative path is relative to the Validate checkout.")]
    public string? Program { get; set; }
    [Description("The driver's arguments.")]
    public List<string> Args { get; set; } = [];
}

public sealed class SuiteSpec
{
    [Description("The suite's name: lower-case letters, digits and dashes; the test name the history keys on, unique in the plan.")]
    public string? Name { get; set; }
    [Description("latency (the default) or fault.")]
    public string? Kind { get; set; }
    [Description("fault suites: the fault injected: kill-in-handler, kill-random, kill-idle, hang, rebind, reload, revoke, revoke-in-handler (reload and the revokes: valirq only).")]
    public string? Fault { get; set; }
    [Description("fault suites: how many times the fault is injected, 1 to 100000 (default 20).")]
    public int? Repetitions { get; set; }
    [Description("fault suites: the driver under test, a name from \"drivers\".")]
    public string? Driver { get; set; }
    [Description("fault suites: drive the other card on the shared line (uio_pci_generic) with its own driver throughout; needs mode intx-pci23.")]
    public bool? Neighbour { get; set; }
    [Description("fault suite hang: how long the driver stays stopped (SIGSTOP) before the watchdog kills it, 1 to 600000 ms (default 200).")]
    public int? HangMs { get; set; }
    [Description("fault suites: how long a (re)started driver has to report ready and handle its first interrupt, 100 to 600000 ms (default 10000).")]
    public int? RecoveryTimeoutMs { get; set; }
    [Description("fault suites through vfio: the driver resets the function (VFIO_DEVICE_RESET) right after opening it.")]
    public bool? VfioReset { get; set; }
    [Description("latency: valirq, uio, vfio or timer; fault: valirq (the default) or vfio.")]
    public string? Backend { get; set; }
    [Description("valirq: msi, msix, intx-exclusive, intx-shared, intx-pci23 (fault suites: msi, msix, intx-pci23); uio: intx; vfio: intx, msi, msix; timer: periodic.")]
    public string? Mode { get; set; }
    [Description("mode msix: the MSI-X table entries to enable, 0 to 31, each once (default [0]).")]
    public List<int>? Vectors { get; set; }
    [Description("latency suites: samples to record, above 0; with durationS, whichever ends first.")]
    public int? Count { get; set; }
    [Description("latency suites: seconds to measure, above 0 and at most 86400; with count, whichever ends first.")]
    public double? DurationS { get; set; }
    [Description("Stimuli (or timer periods) per second; 0 = back to back (latency suites). Fault suites: the stimulus, 1 to 100000 (default 200).")]
    public int? RateHz { get; set; }
    [Description("The CPUs to measure on: one for interrupt backends and fault suites; the timer runs a thread per CPU (default: the last CPU).")]
    public List<int>? Cpus { get; set; }
    [Description("SCHED_FIFO priority of the measuring thread, 1 to 99 (fault suites: of the stimulus, 2 to 99, the drivers running one below); default 80.")]
    public int? Priority { get; set; }
    [Description("latency suites with a card: SCHED_FIFO priority, 1 to 99, of the card's IRQ threads for the suite's window (put back after); unset, they stay as found (the kernel's 50). On PREEMPT_RT an IRQ thread below the measuring thread is preempted by the reader it wakes, inside wake_up, and the reader then blocks on the wait queue's lock: two extra switches per interrupt.")]
    public int? IrqPriority { get; set; }
    [Description("The load profile run beside the suite, a name from \"loads\" or idle (the default).")]
    public string? Load { get; set; }
    [Description("latency suites: unrecorded iterations before measuring, 0 or more (default 100).")]
    public int? Warmup { get; set; }
    [Description("How long to wait for one interrupt before counting it lost, 1 to 60000 ms (default 1000); 10 lost in a row end the suite.")]
    public int? TimeoutMs { get; set; }
    [Description("Seconds the load runs before measuring starts, 0 to 600 (default 1).")]
    public double? LoadSettleS { get; set; }
    [Description("latency suites: raw samples kept in memory between the measuring thread and the writer, a power of two, at least 1024 (default 65536).")]
    public int? RawRing { get; set; }
    [Description("The suite's limits: latency by stage and statistic, lost, extra, missed and duplicated interrupts; what is MARGINAL.")]
    public LimitsSpec? Limits { get; set; }
    [Description("latency suites through valirq, uio or vfio: trace the window with the kernel's ftrace, split every sample raise -> hard IRQ -> IRQ thread -> user wake-up -> user from the trace, and analyse the worst events that cross a threshold.")]
    public TraceSpec? Trace { get; set; }
}

public sealed class TraceSpec
{
    [Description("Trace this suite (default true once \"trace\" is given; false turns it off, e.g. with --set suites:0:trace:enabled=false).")]
    public bool? Enabled { get; set; }
    [Description("stage -> duration (\"500us\"): a sample whose stage takes longer is a worst-event candidate. Stages: the trace's (raise-hardirq, hardirq-thread, thread-wakeup, wakeup-running, running-user) or the backend's own (e.g. total).")]
    public Dictionary<string, string> Thresholds { get; set; } = [];
    [Description("How many of the worst events that crossed a threshold are analysed and kept, 1 to 100 (default 3).")]
    public int? Keep { get; set; }
    [Description("The trace ring per CPU in KiB, 256 to 1048576 (default 16384); a window that overflows it loses its oldest events.")]
    public int? BufferKb { get; set; }
    [Description("The measuring loop writes a trace marker after each sample (\"validate sample=N raise=NS\"; \" crossed STAGE=NS\" when one of the backend's own stages crossed its threshold), which bounds each sample's events in the trace (default true).")]
    public bool? Marker { get; set; }
    [Description("Stop the trace ring at the first sample whose own stage (e.g. total) crosses its threshold, once freezeAfter has passed, so that a small ring keeps the window up to the crossing however long the run; measuring goes on untraced (default false). Needs a threshold on one of the backend's own stages.")]
    public bool? Freeze { get; set; }
    [Description("With freeze: how long the ring goes on recording after the first crossing, 0 to 10s (default \"0\": stopped at the end of that sample).")]
    public string? FreezeAfter { get; set; }
}

public sealed class LimitsSpec
{
    [Description("Fraction below a limit that counts as MARGINAL, 0 to below 1 (default 0.1: within 10 % of the limit).")]
    public double? Marginal { get; set; }
    [Description("Interrupts lost (fault suites: unexplained losses) allowed; default 0.")]
    public long? MaxLost { get; set; }
    [Description("Timer periods missed allowed; default 0.")]
    public long? MaxMissed { get; set; }
    [Description("Interrupts more than stimuli allowed (duplicated, or raised by the card itself); default: maxLost's value.")]
    public long? MaxExtra { get; set; }
    [Description("fault suites: interrupts handled twice allowed; default 0.")]
    public long? MaxDuplicated { get; set; }
    [Description("stage name -> statistic (min, p50, p90, p99, p99.9, p99.99, max) -> duration (\"150us\", \"2ms\", \"1s\"). Stages: valirq raise-hardirq, hardirq-thread, thread-user, total; uio and timer total; vfio raise-user, user-done, total; fault suites exit, start, setup, first-irq, total.")]
    public Dictionary<string, Dictionary<string, string>> Stages { get; set; } = [];
}
