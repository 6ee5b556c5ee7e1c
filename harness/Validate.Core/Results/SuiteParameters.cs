namespace Validate.Results;

/// <summary>
/// What a suite measured with, as resolved from the plan, its defaults, the environment and <c>--set</c>:
/// the figures that make two nights of one suite comparable. The history compares a suite only with the
/// nights of the same <see cref="SuiteResult.ConfigHash"/> (these parameters, the kernel's configuration and
/// the card's revision) and marks the night a configuration changed on the trend. Limits are kept but not
/// hashed: a new limit changes the verdict, not what is measured.
/// </summary>
public sealed record SuiteParameters
{
    public required string Kind { get; init; }
    public required string Backend { get; init; }
    public required string Mode { get; init; }
    public IReadOnlyList<int>? Vectors { get; init; }
    public int Count { get; init; }
    public double? DurationS { get; init; }
    public int RateHz { get; init; }
    public IReadOnlyList<int> Cpus { get; init; } = [];
    public int Priority { get; init; }
    /// <summary>The card's IRQ threads' SCHED_FIFO priority for the window (plan key irqPriority); null: left as found.</summary>
    public int? IrqPriority { get; init; }
    /// <summary>The load profile's name and what it runs ("stress-ng --cpu 0 ..."), so that a profile edited under the same name is a change.</summary>
    public required string Load { get; init; }
    public IReadOnlyList<string> LoadCommands { get; init; } = [];
    public int Warmup { get; init; }
    public int TimeoutMs { get; init; }
    public double LoadSettleS { get; init; }
    public int RawRing { get; init; }
    /// <summary>Fault suites: the fault, repetitions, driver (name and program), neighbour, hang, recovery timeout, vfio reset.</summary>
    public string? Fault { get; init; }
    public int? Repetitions { get; init; }
    public string? Driver { get; init; }
    public string? DriverProgram { get; init; }
    public bool? Neighbour { get; init; }
    public int? HangMs { get; init; }
    public int? RecoveryTimeoutMs { get; init; }
    public bool? VfioReset { get; init; }
    /// <summary>What valirq does with the card when a driver's file is released (the plan's release).</summary>
    public string? Release { get; init; }
    /// <summary>Traced with ftrace (plan key trace): tracing costs the measurement (tests/Benchmarks/trace-overhead.sh), so it is part of the configuration.</summary>
    public bool? Traced { get; init; }
    /// <summary>The loop wrote a trace marker per sample (a write(2) after each sample's stamps).</summary>
    public bool? TraceMarker { get; init; }
    /// <summary>The ring was to be frozen at the first crossing of these thresholds, after this long ("total > 2.00 ms, after 0 ns"): later samples untraced.</summary>
    public string? TraceFreeze { get; init; }
    /// <summary>The suite's limits as the plan states them ("total p99 2ms"): recorded, not hashed.</summary>
    public IReadOnlyList<string> Limits { get; init; } = [];
}
