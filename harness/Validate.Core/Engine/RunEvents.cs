using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Validate.Plans;

namespace Validate.Engine;

/// <summary>
/// What a run tells its operator while it runs: a line when a suite starts (what, how long it is planned
/// to take), its progress read from another thread, a line when it ends (verdict, key numbers), and notes.
/// The suites runner sends these to `validate run` (<see cref="RunEventWire"/>), which renders them.
/// None is ever raised from a measuring thread.
/// </summary>
public interface IRunObserver
{
    void Note(string line);
    void Started(SuiteStarted e);
    void Progress(SuiteProgress e);
    void Ended(SuiteEnded e);
}

/// <param name="Index">1-based position among the suites this run runs</param>
/// <param name="Of">how many suites this run runs</param>
/// <param name="What">the runner's description ("valirq msi, load cpu")</param>
/// <param name="Planned">samples or repetitions planned (0: unbounded, by duration only)</param>
/// <param name="Unit">what <paramref name="Planned"/> counts: "samples" or "repetitions"</param>
/// <param name="ProgressNote">why there is no live progress, when there is none (every CPU measures)</param>
public sealed record SuiteStarted(string Suite, int Index, int Of, string What, double PlannedS, long Planned, string Unit, string? ProgressNote = null);

/// <param name="Done">samples measured or repetitions done so far</param>
/// <param name="RatePerS">samples or repetitions a second, so far</param>
/// <param name="P99Ns">running p99 of the suite's headline stage (latency: total; fault: recovery), -1 when none yet</param>
/// <param name="Lost">interrupts lost so far (latency suites; fault suites account at the end)</param>
public sealed record SuiteProgress(string Suite, long Done, long Planned, string Unit, double ElapsedS, double RatePerS, long P99Ns, long MaxNs, long Lost);

/// <param name="Summary">the key numbers, in words ("total p50 41 us, p99 80 us, max 120 us; lost 0, extra 0")</param>
public sealed record SuiteEnded(string Suite, int Index, int Of, string Verdict, string? Message, string Summary, double ElapsedS);

/// <summary>
/// The wire between the suites runner and `validate run`: one event per line on the runner's standard
/// error, after a record separator and a tag so that nothing the test platform prints can be taken for
/// one, as JSON. Everything else the runner prints is the test platform's and goes to the run's log.
/// </summary>
public static class RunEventWire
{
    public const string Marker = "\u001evalidate-event ";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private sealed record Envelope(string Type, string? Text = null, SuiteStarted? Started = null, SuiteProgress? Progress = null, SuiteEnded? Ended = null);

    public static string Encode(string note) => Marker + JsonSerializer.Serialize(new Envelope("note", Text: note), Json);
    public static string Encode(SuiteStarted e) => Marker + JsonSerializer.Serialize(new Envelope("started", Started: e), Json);
    public static string Encode(SuiteProgress e) => Marker + JsonSerializer.Serialize(new Envelope("progress", Progress: e), Json);
    public static string Encode(SuiteEnded e) => Marker + JsonSerializer.Serialize(new Envelope("ended", Ended: e), Json);

    /// <summary>
    /// Splits one line of the runner's output: the text before an event (the platform's, possibly a partial
    /// line it had not ended) and the event (a string for a note, else one of the records), or null.
    /// </summary>
    public static (string Text, object? Event) Split(string line)
    {
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0) return (line, null);
        var text = line[..at];
        try
        {
            var env = JsonSerializer.Deserialize<Envelope>(line.AsSpan(at + Marker.Length), Json);
            object? ev = env?.Type switch
            {
                "note" => env.Text,
                "started" => env.Started,
                "progress" => env.Progress,
                "ended" => env.Ended,
                _ => null,
            };
            return ev is null ? (line, null) : (text, ev);
        }
        catch (JsonException)
        {
            return (line, null);
        }
    }
}

/// <summary>How long a suite is planned to take, from the plan alone (what the start line and the ETA say).</summary>
public static class SuiteEstimate
{
    /// <summary>Set-up and teardown of a suite beside its window (binding, device open, warm-up, statistics).</summary>
    public const double OverheadS = 3;

    public static (double Seconds, long Planned, string Unit) Of(SuitePlan s)
    {
        if (s.Fault is { } f)
        {
            // Each repetition: the pause between faults (20 periods, at least 50 ms), the hang where there is
            // one, and a driver's exit, start and first interrupt, taken as a second (the run's rate replaces it).
            var pause = Math.Max(0.05, 20.0 / Math.Max(1, s.RateHz));
            var hang = f.Kind == "hang" ? f.HangMs / 1000.0 : 0;
            return (OverheadS + Settle(s) + f.Repetitions * (pause + hang + 1.0), f.Repetitions, "repetitions");
        }
        var window = double.PositiveInfinity;
        if (s.Count != int.MaxValue && s.RateHz > 0) window = (double)s.Count / s.RateHz;
        if (s.DurationS is { } d) window = Math.Min(window, d);
        if (double.IsPositiveInfinity(window)) window = 0;
        var warmup = s.RateHz > 0 ? (double)s.Warmup / s.RateHz : 0;
        var planned = s.Count == int.MaxValue ? 0 : s.Count * (long)(s.Backend == BackendKind.Timer ? s.Cpus.Count : 1);
        return (OverheadS + Settle(s) + warmup + window, planned, "samples");
    }

    private static double Settle(SuitePlan s) => s.Load.Commands.Count > 0 ? s.LoadSettleS : 0;

    /// <summary>Ten minutes of slack for a suite's hang limit: a lab boot's first suite pays for its JIT and page cache.</summary>
    public const double HangSlackS = 600;

    /// <summary>How many times its planned time a suite may run before the run takes it as hung.</summary>
    public const double HangFactor = 10;

    /// <summary>
    /// How long <c>validate run</c> lets a suite run before it takes it as hung (without --hang-after): ten
    /// times its planned time and ten minutes more. Under emulation a suite runs up to about eight times its
    /// plan (a back-to-back loop is planned at its overhead alone; a loaded vCPU serves a quarter of the rate).
    /// </summary>
    public static double HangAfterS(SuitePlan s) => HangSlackS + HangFactor * Of(s).Seconds;

    /// <summary>"12 s", "4m10s", "1h02m": a planned or remaining time in words.</summary>
    public static string Words(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0) seconds = 0;
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        if (t.TotalHours >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m");
        if (t.TotalMinutes >= 1) return string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s");
        return string.Create(CultureInfo.InvariantCulture, $"{t.Seconds} s");
    }

    /// <summary>The start line's "planned" part: "planned ~13 s (5000 samples at 500/s)".</summary>
    public static string Describe(SuitePlan s)
    {
        var (sec, planned, unit) = Of(s);
        var what = s.Fault is not null ? $"{planned} {unit}"
            : planned > 0 ? $"{planned} {unit} at {s.RateHz}/s{(s.DurationS is { } d ? $", at most {d.ToString(CultureInfo.InvariantCulture)} s" : "")}"
            : $"{(s.DurationS ?? 0).ToString(CultureInfo.InvariantCulture)} s at {s.RateHz}/s";
        return $"planned ~{Words(sec)} ({what})";
    }
}
