using System.Text.Json;
using System.Text.Json.Serialization;
using Validate.Loads;
using Validate.Platform;
using Validate.Realtime;

namespace Validate.Results;

// The results file: one JSON document per run (results.json), schema versioned by Schema. Described
// field by field in docs/results.md; the reports and history read it. Add fields freely; change or
// remove one only with a new schema number.

public enum Verdict { Pass, Marginal, Fail, Skipped, Error }

public sealed record RunResults
{
    public const int CurrentSchema = 1;
    public int Schema { get; init; } = CurrentSchema;
    public string Tool { get; init; } = "validate";
    public required string RunId { get; init; }
    public required DateTime StartedUtc { get; init; }
    public DateTime EndedUtc { get; set; }
    public required PlanInfo Plan { get; init; }
    public required SystemSnapshot Environment { get; init; }
    public required ProcessRealtime Realtime { get; init; }
    public List<SuiteResult> Suites { get; init; } = [];
    public Verdict Verdict { get; set; }
    /// <summary>
    /// Side by side (<see cref="SideBySide"/>): the latency suites grouped by card and load, where a group
    /// holds two suites or more. Computed from <see cref="Suites"/> whenever it is read, so that it is
    /// written with every save and a results file without it (older runs) gives it all the same.
    /// </summary>
    public IReadOnlyList<Comparison> Comparisons => SideBySide.Compare(Suites);

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Write(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    // Reading: a null where the type has none (a list, a record, a name) is the file's mistake, said at its path.
    private static readonly JsonSerializerOptions ReadJson = new(Json) { RespectNullableAnnotations = true };

    public static RunResults Read(string path)
    {
        const string Fix = "give the results.json a run wrote (`validate run` rewrites it after each suite), or its run folder";
        RunResults r;
        try
        {
            r = JsonSerializer.Deserialize<RunResults>(File.ReadAllText(path), ReadJson) ?? throw new JsonException("the file holds null", "$", 0, 0);
        }
        catch (JsonException e)
        {
            var what = InWords(e.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.', ' '));
            var at = e.Path is { Length: > 0 } jp ? $" at {jp}{(e.LineNumber is { } l ? $" (line {l + 1})" : "")}" : "";
            throw new ValidateException(ExitCodes.InputError, $"{path}: not a Validate results file: {what}{at}; {Fix}");
        }
        if (FirstNull(r, "$", 0, new System.Reflection.NullabilityInfoContext()) is { } nullAt)
            throw new ValidateException(ExitCodes.InputError, $"{path}: not a Validate results file: no value at {nullAt}, where one is expected; {Fix}");
        if (r.Schema != CurrentSchema)
            throw new ValidateException(ExitCodes.InputError, $"{path}: results schema {r.Schema}, this tool reads {CurrentSchema}; render it with the Validate that wrote it");
        return r;
    }

    /// <summary>The serializer's complaint in the words of a person who opened the file.</summary>
    private static string InWords(string message)
    {
        if (message.Contains("doesn't allow setting null values", StringComparison.Ordinal) || message.Contains("doesn't allow null values", StringComparison.Ordinal))
            return "null where a value is expected";
        if (System.Text.RegularExpressions.Regex.Match(message, @"missing required properties including: (.*)$") is { Success: true } m)
            return $"keys missing: {m.Groups[1].Value.Replace("'", "", StringComparison.Ordinal)}";
        if (System.Text.RegularExpressions.Regex.Match(message, @"could not be converted to ([\w.`\[\]]+)") is { Success: true } c)
        {
            var type = c.Groups[1].Value;
            var name = type.Contains("List`1", StringComparison.Ordinal) ? "a list" : type.Split('.')[^1] switch
            {
                "Int64" or "Int32" or "Double" => "a number in range",
                "String" => "a string",
                "Boolean" => "true or false",
                var t when t.EndsWith("Verdict", StringComparison.Ordinal) => "a verdict (pass, marginal, fail, error, skipped)",
                var t => $"an object ({t})",
            };
            return $"a value of the wrong type or out of range, {name} expected";
        }
        if (message.Contains("end of data", StringComparison.Ordinal) || message.Contains("is an invalid", StringComparison.Ordinal)
            || message.Contains("Expected", StringComparison.Ordinal))
            return $"not JSON, or cut short ({message})";
        return message;
    }

    /// <summary>
    /// The JSON path of the first null element of a list or dictionary in the results (the serializer's
    /// nullable check covers properties, not the elements of collections), or null when there is none.
    /// </summary>
    private static string? FirstNull(object? o, string at, int depth, System.Reflection.NullabilityInfoContext nullability)
    {
        if (o is null || depth > 12 || o is string || o.GetType().IsPrimitive || o.GetType().IsEnum) return null;
        if (o is System.Collections.IDictionary dict)
        {
            foreach (System.Collections.DictionaryEntry kv in dict)
            {
                if (kv.Value is null && !IsNullableValue(dict.GetType(), 1)) return $"{at}.{kv.Key}";
                if (FirstNull(kv.Value, $"{at}.{kv.Key}", depth + 1, nullability) is { } f) return f;
            }
            return null;
        }
        if (o is System.Collections.IEnumerable list)
        {
            var i = 0;
            foreach (var item in list)
            {
                if (item is null && !IsNullableValue(list.GetType(), 0)) return $"{at}[{i}]";
                if (FirstNull(item, $"{at}[{i}]", depth + 1, nullability) is { } f) return f;
                i++;
            }
            return null;
        }
        if (o.GetType().Assembly != typeof(RunResults).Assembly) return null;
        foreach (var p in o.GetType().GetProperties())
        {
            if (p.GetIndexParameters().Length > 0 || p.GetCustomAttributes(typeof(JsonIgnoreAttribute), true).Length > 0) continue;
            var value = p.GetValue(o);
            var key = $"{at}.{JsonNamingPolicy.CamelCase.ConvertName(p.Name)}";
            // A key left out of an object gets no value at all: a type without null must have one.
            if (value is null && !p.PropertyType.IsValueType && nullability.Create(p).ReadState == System.Reflection.NullabilityState.NotNull) return key;
            if (FirstNull(value, key, depth + 1, nullability) is { } f) return f;
        }
        return null;
    }

    /// <summary>A collection whose element (argument <paramref name="arg"/>) may be null: a value type with ?, or object.</summary>
    private static bool IsNullableValue(Type collection, int arg)
    {
        var args = collection.IsArray ? [collection.GetElementType()!] : collection.GetGenericArguments();
        if (args.Length <= arg) return false;
        var t = args[arg];
        return Nullable.GetUnderlyingType(t) is not null || t == typeof(object);
    }

    /// <summary>The run's verdict: the worst of its suites' (an error counts as a failure; skipped suites do not count).</summary>
    public static Verdict Combine(IEnumerable<Verdict> verdicts)
    {
        var v = Verdict.Pass;
        foreach (var s in verdicts)
        {
            if (s is Verdict.Fail or Verdict.Error) return Verdict.Fail;
            if (s == Verdict.Marginal) v = Verdict.Marginal;
        }
        return v;
    }
}

/// <param name="Overrides">what changed the plan as written for this run: <c>--set KEY=VALUE</c> and <c>VALIDATE_PLAN__*</c> variables, in the order applied</param>
public sealed record PlanInfo(string Path, string Name, string? Description, string Card, string? CardAddress, IReadOnlyList<string>? Overrides = null);

/// <summary>Process-wide real-time state, set up once per run and read back.</summary>
public sealed record ProcessRealtime(bool MemoryLocked, long LockedKb, bool DmaLatencyHeld, IReadOnlyList<string> Problems)
{
    public bool IsRealtime => Problems.Count == 0;
}

public sealed record SuiteResult
{
    public required string Name { get; init; }
    public required string Backend { get; init; }
    public required string Mode { get; init; }
    public Verdict Verdict { get; set; }
    /// <summary>The verdict of everything but the stage limits: lost, extra, missed, errors, samples, kernel log.</summary>
    public Verdict? CountsVerdict { get; set; }
    public string? Message { get; set; }
    public string? Card { get; init; }
    /// <summary>The PCI address of the card the suite drove, once found (absent in older files: the <c>card</c> fact has it).</summary>
    public string? CardAddress { get; set; }
    /// <summary>The card's <c>vendor:device</c> as found, hex.</summary>
    public string? CardId { get; set; }
    /// <summary>The card's revision as found (hex), part of <see cref="ConfigHash"/>.</summary>
    public string? CardRevision { get; set; }
    /// <summary>What the suite measured with, resolved (absent in older files).</summary>
    public SuiteParameters? Parameters { get; set; }
    /// <summary>
    /// A hash of <see cref="Parameters"/> (limits aside), the kernel's configuration hash and the card's
    /// revision: the history compares a suite night over night only within one configuration.
    /// </summary>
    public string? ConfigHash { get; set; }
    public IrqState? Irq { get; set; }
    public Dictionary<string, string> Facts { get; init; } = [];
    public SuiteRealtime? Realtime { get; set; }
    public LoadInfo? Load { get; set; }
    public SuiteCounts? Counts { get; set; }
    public MeasurementInfo? Measurement { get; set; }
    public List<StageResult> Stages { get; init; } = [];
    public List<LimitResult> Limits { get; init; } = [];
    public List<string> RawFiles { get; init; } = [];
    /// <summary>The worst samples by total, worst first, with every stage: for finding them in time.</summary>
    public List<WorstEvent> Worst { get; init; } = [];
    /// <summary>What the kernel logged while the suite ran (set-up to teardown); null when the log could not be read.</summary>
    public List<string>? KernelLog { get; set; }
    /// <summary>WARN, BUG, Oops, "nobody cared", hung task, lockdep ... found in <see cref="KernelLog"/>: each fails the suite.</summary>
    public List<string> KernelFindings { get; init; } = [];
    /// <summary>The stages from the kernel's trace and the worst events analysed (a suite with <c>trace</c> in its plan).</summary>
    public TraceResult? Trace { get; set; }
    /// <summary>Fault suites only: the injections, their timelines, the interrupt accounting, the line and the neighbour.</summary>
    public FaultResult? Fault { get; set; }
}

/// <summary>
/// A fault suite's findings (docs/results.md). Stages of the suite hold the recovery time and its parts
/// (exit, start, setup, first-irq, total) over the repetitions; this holds everything else.
/// </summary>
public sealed record FaultResult
{
    public required string Kind { get; init; }
    public required string Driver { get; init; }
    public required string Program { get; init; }
    public required string Mode { get; init; }
    public int RepetitionsPlanned { get; init; }
    public List<FaultRepetition> Repetitions { get; init; } = [];
    public FaultCounts? Accounting { get; set; }
    /// <summary>valirq's sysfs counters of the card, change over the suite (reset by a reload: then per module load).</summary>
    public Dictionary<string, long> ValirqCounters { get; init; } = [];
    /// <summary>The line after each fault and at the end: left masked, still interrupting, storming. Each fails the suite.</summary>
    public List<string> LineProblems { get; init; } = [];
    public NeighbourResult? Neighbour { get; set; }
    /// <summary>The card after recovery: what the plan's health checks read (or "not checked").</summary>
    public string? CardCheck { get; set; }
    public bool CardCheckPassed { get; set; }
    /// <summary>Lines the drivers wrote that are not the channel protocol.</summary>
    public List<string> ProtocolErrors { get; init; } = [];
    /// <summary>Interrupts of the line in /proc/interrupts over the suite (INTx only), and raises of all cards on it.</summary>
    public long? LineInterrupts { get; set; }
    public long? LineRaises { get; set; }
    /// <summary>Bytes the stimulus thread's raise loop allocated (0 is the contract).</summary>
    public long StimulusAllocatedBytes { get; set; }
    /// <summary>The driver under test sat on vfio-pci: the release after each fault was vfio-pci's, not valirq's.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsVfio => ReleasePolicy == "vfio-pci";
    /// <summary>Through vfio-pci: whether it resets the function on release, by what method, or why not.</summary>
    public string? VfioReset { get; set; }
    /// <summary>Through vfio-pci: after how many of <see cref="VfioChecks"/> releases INTx was left disabled, and bus mastering on.</summary>
    public int VfioIntxDisabled { get; set; }
    public int VfioBusMasterLeft { get; set; }
    /// <summary>Through vfio-pci: after how many releases the card asserted INTx with INTx enabled (harmless alone on its line).</summary>
    public int VfioIntxAsserted { get; set; }
    public int VfioChecks { get; set; }
    /// <summary>The plan's release policy given to valirq (quiesce, reset, quiesce-then-reset), or "vfio-pci".</summary>
    public string? ReleasePolicy { get; set; }
    /// <summary>What valirq's release did in each repetition (<see cref="FaultRepetition.Release"/>), summed.</summary>
    public ReleaseCounts? Release { get; set; }
    /// <summary>
    /// Findings that are explained, each with why (not failures): a revoked opener's release that ran no
    /// quiesce, MSIs valirq's check did not recognise because the driver had already acknowledged their work.
    /// </summary>
    public List<string> Explained { get; init; } = [];
}

/// <summary>
/// One injection: when (CLOCK_MONOTONIC), what happened after it (ns from the fault), the recovery parts,
/// and what valirq's release did with the card (quiesced, reset, neither, unobserved).
/// </summary>
public sealed record FaultRepetition(int Index, long FaultNs, List<TimelineEvent> Events, Dictionary<string, long> PartsNs, List<string> Problems, string? Release = null);

/// <summary>valirq's release outcomes over a fault suite's repetitions (docs/faults.md).</summary>
public sealed record ReleaseCounts(long Quiesced, long Reset, long Neither, long None, long Unobserved);

public sealed record TimelineEvent(string Name, long OffsetNs);

/// <summary>
/// Interrupt accounting (docs/faults.md): raises of the stimulus vs interrupts the kernel saw (valirq's
/// hardirqs) vs interrupts the drivers handled.
/// </summary>
public sealed record FaultCounts(
    long Raised, long KernelHardirqs, long Handled, long CoalescedExplained, long Late, long Duplicated,
    long LostExplained, long LostUnexplained, long EmptyReports, IReadOnlyList<long> UnexplainedAtNs,
    long LatencyP50Ns = 0, long LatencyP99Ns = 0, long LatencyMaxNs = 0, long ServedAgain = 0)
{
    public long Unexplained => LostUnexplained;
}

/// <summary>The other card on the shared line, served by its own driver through every fault.</summary>
public sealed record NeighbourResult(string Card, string Driver, long Raised, long Handled, long Lost, long Late, long Duplicated, WindowStats Before, WindowStats During);

/// <summary>Handled interrupts and raise-to-handler latency (read of the status) in or out of the fault windows.</summary>
public sealed record WindowStats(long Handled, double Seconds, double RateHz, long P50Ns, long P99Ns, long MaxNs);

public sealed record WorstEvent(long TimestampNs, IReadOnlyList<long> StagesNs);

public sealed record SuiteRealtime(IReadOnlyList<ThreadSchedState> Threads, int RequestedPriority, IReadOnlyList<int> RequestedCpus, IReadOnlyList<string> Problems)
{
    public bool IsRealtime => Problems.Count == 0;
}

public sealed record LoadInfo(string Profile, string? Description, IReadOnlyList<LoadRecord> Commands);

public sealed record SuiteCounts(
    long Requested, long Recorded, long Stimuli, long Events, long Interrupts, long Lost, long Extra, long Missed,
    long Overruns, long Errors, string? LastError, long RawWritten, long RawDropped, long Clamped);

/// <summary>What the measurement cost the measuring threads: proof that the loop allocates nothing.</summary>
public sealed record MeasurementInfo(
    DateTime StartedUtc, double DurationS, int Threads, long AllocatedBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections,
    bool NoGcRegion, int Warmup, HarnessActivity? Harness = null);

public sealed record StageResult(
    string Name, long Count, long MinNs, long P50Ns, long P90Ns, long P99Ns, long P999Ns, long P9999Ns, long MaxNs,
    double MeanNs, double StdDevNs, long Negative, long IntervalNs, long[] IntervalMaxNs, IReadOnlyList<DistributionPoint> Distribution,
    IReadOnlyList<long[]>? Histogram = null,
    long[]? IntervalP99Ns = null)
{
    public long Statistic(string name) => name switch
    {
        "min" => MinNs, "p50" => P50Ns, "p90" => P90Ns, "p99" => P99Ns, "p99.9" => P999Ns, "p99.99" => P9999Ns, "max" => MaxNs,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a statistic"),
    };
}

// IntervalP99Ns: for the last stage (total), the 99th percentile of each interval, computed after the run
// from the raw samples (null when they were not kept whole).
// Histogram: the HdrHistogram's non-empty buckets as [valueNs, count] (3 significant digits), so that a
// report draws the whole distribution without the raw samples, whatever the run's length.

/// <summary>One point of the cumulative distribution: the value below which Percentile % of samples lie.</summary>
public sealed record DistributionPoint(long ValueNs, double Percentile, long CountAtOrBelow);

public sealed record LimitResult(string Stage, string Statistic, long LimitNs, long? ValueNs, Verdict Verdict, string Text);

/// <summary>
/// What of the harness itself ran during a measurement window (docs/results.md, "The harness's own cost"):
/// the other threads of the process (the test platform, the thread pool, the GC, the JIT, the raw-sample
/// writer, progress), which were moved off the measuring CPUs for the window, and what they cost anyway.
/// </summary>
/// <param name="ThreadsMoved">other threads whose affinity was narrowed to the housekeeping CPUs for the window (restored after)</param>
/// <param name="ThreadsLeft">other threads that stayed where they may meet a measuring thread (no housekeeping CPU, or the kernel refused)</param>
/// <param name="OtherThreadsCpuNs">CPU time of all other threads of the process during the window</param>
/// <param name="BesideCpuNs">CPU time of those of them that may run on a measuring CPU: the harness's own disturbance</param>
/// <param name="MeasuringPreemptions">involuntary context switches of the measuring threads during the window</param>
/// <param name="MeasuringMigrations">measuring threads found on another CPU than theirs after the window</param>
/// <param name="JitMethods">methods the JIT compiled during the window (tiering included), and its time</param>
/// <param name="Busiest">the other threads that used CPU in the window, busiest first (at most 8)</param>
/// <param name="Disturbed">why the window counts as disturbed by the harness, or null</param>
public sealed record HarnessActivity(
    int ThreadsMoved, int ThreadsLeft, long OtherThreadsCpuNs, long BesideCpuNs, long MeasuringPreemptions, int MeasuringMigrations,
    long JitMethods, long JitTimeNs, IReadOnlyList<ThreadCost> Busiest, string? Disturbed, long MeasuringMinorFaults = 0, long MeasuringMajorFaults = 0);

/// <summary>One other thread's CPU time during a window, where it last ran and whether it may run on a measuring CPU.</summary>
public sealed record ThreadCost(int Tid, string Name, long CpuNs, int LastCpu, bool BesideMeasuring);
