namespace Validate.Results;

/// <summary>
/// Where the time went, from the kernel's own trace (docs/results.md, "Stages from the kernel trace"): every
/// sample split raise -> hard IRQ -> IRQ thread -> user wake-up -> user running -> user back, whatever the
/// backend, with valirq's own stamps checked against the trace, and the worst events analysed.
/// </summary>
public sealed record TraceResult
{
    /// <summary>The trace clock (mono: CLOCK_MONOTONIC, the harness's clock) and its resolution in the text trace (1 us).</summary>
    public string Clock { get; init; } = "mono";
    public long ResolutionNs { get; init; } = 1000;
    /// <summary>The card's IRQs as the trace named them, and the IRQ threads that served them.</summary>
    public List<int> Irqs { get; init; } = [];
    public List<string> IrqThreads { get; init; } = [];
    public int MeasuringTid { get; init; }
    /// <summary>Samples, those whose hard IRQ and user wake-up the trace holds (matched), and the events read.</summary>
    public long Samples { get; init; }
    public long Matched { get; init; }
    public long Events { get; init; }
    /// <summary>Events the kernel's ring overwrote (per-CPU overruns): the oldest part of the window is missing.</summary>
    public long Overrun { get; init; }
    public int BufferKb { get; init; }
    /// <summary>The stages from the trace (raise-hardirq, hardirq-thread, thread-wakeup, wakeup-running, running-user), each over the samples that had it.</summary>
    public List<StageResult> Stages { get; init; } = [];
    /// <summary>valirq only: its own stamps against the trace's.</summary>
    public TraceCheck? Check { get; set; }
    /// <summary>The thresholds the plan set (stage -> ns) and the worst events that crossed them, analysed.</summary>
    public Dictionary<string, long> Thresholds { get; init; } = [];
    public long Crossed { get; set; }
    public List<TracedEvent> Worst { get; init; } = [];
    /// <summary>
    /// The measuring loop's markers (plan key trace:marker): written, and found in the trace; how long after a
    /// sample's last stamp its marker was recorded (p50, p99: the trace's clock against the harness's).
    /// Null when the plan turned markers off.
    /// </summary>
    public TraceMarkers? Markers { get; set; }
    /// <summary>The ring stopped at a crossing (plan key trace:freeze; Sample -1: nothing crossed, never stopped); null when the plan did not ask.</summary>
    public TraceFreeze? Freeze { get; set; }
    public List<string> Notes { get; init; } = [];
}

/// <summary>The loop's trace markers: written, failed (with the errno), found in the trace, and each one's lag behind its sample's last stamp.</summary>
public sealed record TraceMarkers(long Written, long Failed, string? Error, long Found, long LagP50Ns, long LagP99Ns);

/// <summary>
/// The freeze: the first sample that crossed (its number in the window, raise, stage and value), how long the
/// ring went on after it (the plan's freezeAfter) and when it stopped, after which sample; the samples measured
/// after it, untraced. Error: why the freeze failed (the ring then recorded to the window's end).
/// </summary>
public sealed record TraceFreeze(long Sample, long RaiseNs, string Stage, long ValueNs, long AfterNs, long FrozenAtNs, long FrozenAfterSample,
    long Untraced, string? Error);

/// <summary>
/// valirq's own timestamps (hard IRQ, IRQ thread) against the trace's irq_handler_entry and the IRQ thread's
/// sched_switch, over the samples both have: the difference (valirq minus trace: p50 signed; p95, p99 and max
/// of its size) and the bound it must keep (at p95, and a tenth of it at p50: the rest is reported, not judged).
/// </summary>
public sealed record TraceCheck(long Compared, long HardirqP50Ns, long HardirqP99Ns, long HardirqMaxAbsNs, long ThreadP50Ns, long ThreadP99Ns,
    long ThreadMaxAbsNs, long BoundNs, bool Within, long HardirqP95Ns = 0, long ThreadP95Ns = 0);

/// <summary>One of the worst samples, analysed: what crossed, each stage and what ran in it, the cause in words, its raw trace window.</summary>
public sealed record TracedEvent(long TimestampNs, long ToUserNs, string Crossed, List<TracedStage> Stages, string Cause, string Words, string? File,
    List<TimelineSegment> Timeline);

/// <summary>A stage of one event: from when (ns after the raise), how long, what ran on the CPUs that matter, which of it was the cause.</summary>
public sealed record TracedStage(string Name, long StartNs, long DurationNs, int Cpu, List<TraceActivity> Ran, string? Cause, string? Priority);

/// <summary>Something that ran in a stage: a task (pid, kernel priority: lower runs first), an IRQ handler or a softirq, on a CPU, for so long.</summary>
public sealed record TraceActivity(int Cpu, string Kind, string What, int Pid, int Prio, long Ns);

/// <summary>A bar of the event's timeline: on a CPU, from and to (ns after the raise), what.</summary>
public sealed record TimelineSegment(int Cpu, long StartNs, long EndNs, string Kind, string What);
