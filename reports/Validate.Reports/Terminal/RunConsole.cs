using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime;
using Spectre.Console;
using Validate.Engine;
using Validate.Plans;

namespace Validate.Reports.Terminal;

/// <summary>A line the test platform printed (kept in the run's log; on the console with --verbose only).</summary>
public sealed record PlatformLine(string Text);

/// <summary>A line of ours the operator sees with or without --verbose (a suite taken as hung, the runner stopped).</summary>
public sealed record RunWarning(string Text);

/// <summary>
/// What `validate run` shows while the suites run, from the runner's events (<see cref="RunEventWire"/>):
/// a line when each suite starts and ends, and in between its progress and the run's ETA: on a terminal a
/// live progress display (Spectre.Console), otherwise (CI, a log) a plain line every few seconds.
/// </summary>
public abstract class RunConsole
{
    protected RunEta Eta { get; }
    protected bool Verbose { get; }

    protected RunConsole(IReadOnlyList<SuitePlan> suites, bool verbose)
    {
        Eta = new RunEta(suites);
        Verbose = verbose;
    }

    /// <summary>A live display when standard output is a terminal, else plain lines every <paramref name="plainEvery"/>.</summary>
    public static RunConsole Create(IReadOnlyList<SuitePlan> suites, bool verbose, TimeSpan plainEvery) =>
        IsLive
            ? new Live(suites, verbose, AnsiConsole.Console)
            : new Plain(suites, verbose, plainEvery, Console.Out);

    /// <summary>Standard output is a terminal that can show a live display.</summary>
    public static bool IsLive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>
    /// How often the runner should read a suite's progress for what this console shows: each second for the live
    /// display, once per plain line otherwise (a nightly run under cron wakes the sampler a tenth as often).
    /// </summary>
    public static TimeSpan SampleEvery(bool live, TimeSpan plainEvery) => live ? TimeSpan.FromSeconds(1) : plainEvery;

    /// <summary>Renders events until the collection is completed (the runner has exited and its output is read).</summary>
    public abstract void Pump(BlockingCollection<object> events);

    /// <summary>
    /// Methods this console's thread compiled while it handled a suite's progress, which comes inside the
    /// suite's measurement window: 0 when the progress path was compiled as the suite started
    /// (<see cref="CompileProgressPath"/>). The first progress line of a run used to compile it there, the
    /// better part of 100 ms of CPU under the lab's emulation, in the window.
    /// </summary>
    public long MethodsCompiledForProgress => CompiledForProgress;

    /// <summary>
    /// <see cref="MethodsCompiledForProgress"/>, counted inline where progress is handled (JitInfo's count of
    /// this thread before and after): a helper method would itself be compiled at the first count.
    /// </summary>
    private protected long CompiledForProgress;

    /// <summary>
    /// Formats, and throws away, a progress line of the suite's kind with every part present, so that the code
    /// of the lines shown during its window is compiled now, before the window: nothing of ours should run
    /// beside a measurement, the JIT least of all (its tiering is off in this process, so what it compiles, it
    /// compiles optimized, slowly).
    /// </summary>
    protected string CompileProgressPath(SuiteStarted s)
    {
        var sample = new SuiteProgress(s.Suite, 1, Math.Max(1, s.Planned), s.Unit, 1, 1, 1_000, 1_000_000, 1);
        var scratch = new RunEta([]);
        scratch.Started(s);
        scratch.Progress(sample);
        return $"{ProgressText(sample)}; run ETA ~{SuiteEstimate.Words(Eta.RemainingS)}; {ProgressText(sample with { Planned = 0, P99Ns = -1 })}";
    }

    public static string StartLine(SuiteStarted e, RunEta eta) =>
        $"[{e.Index}/{e.Of}] {e.Suite}: {e.What}; {eta.PlannedWords(e.Suite)}{(e.ProgressNote is { } n ? $"; {n}" : "")}";

    public static string ProgressText(SuiteProgress p)
    {
        var inv = CultureInfo.InvariantCulture;
        var done = p.Planned > 0 ? $"{p.Done}/{p.Planned} {p.Unit}" : $"{p.Done} {p.Unit}";
        var rate = p.Unit == "repetitions" ? $"{(p.RatePerS * 60).ToString("0.#", inv)}/min" : $"{p.RatePerS.ToString("0", inv)}/s";
        var what = p.Unit == "repetitions" ? "recovery " : "";
        var p99 = p.P99Ns >= 0 ? $", {what}p99 {Duration.Format(p.P99Ns)}, max {Duration.Format(p.MaxNs)}" : "";
        var lost = p.Unit == "repetitions" ? "" : $", lost {p.Lost}";
        return $"{done}, {rate}{p99}{lost}";
    }

    public static string EndLine(SuiteEnded e) =>
        $"[{e.Index}/{e.Of}] {e.Suite}: {e.Verdict} in {SuiteEstimate.Words(e.ElapsedS)}{(e.Summary.Length > 0 ? $": {e.Summary}" : "")}";

    /// <summary>Plain lines: start, progress at most every interval per suite, end; the message of a suite that did not pass.</summary>
    public sealed class Plain(IReadOnlyList<SuitePlan> suites, bool verbose, TimeSpan every, TextWriter output) : RunConsole(suites, verbose)
    {
        // When the next progress line is due: a tenth early still counts, since progress sampled once per line
        // arrives a little before or after its time. Kept as the due time itself, so that a progress event (in
        // the window) only compares two times: the arithmetic, compiled by the JIT on first use, is done here.
        private readonly TimeSpan _early = every / 10;
        private DateTime _due = DateTime.MaxValue;

        public override void Pump(BlockingCollection<object> events)
        {
            foreach (var ev in events.GetConsumingEnumerable()) Render(ev, DateTime.UtcNow);
        }

        public void Render(object ev, DateTime now)
        {
            switch (ev)
            {
                case SuiteStarted s:
                    Eta.Started(s);
                    output.WriteLine(StartLine(s, Eta));
                    _ = CompileProgressPath(s);
                    _due = now + every - _early;
                    _ = now >= _due;
                    break;
                case SuiteProgress p:
                    var compiled = JitInfo.GetCompiledMethodCount(currentThread: true);
                    Eta.Progress(p);
                    if (now >= _due)
                    {
                        output.WriteLine($"      {p.Suite}: {ProgressText(p)}; run ETA ~{SuiteEstimate.Words(Eta.RemainingS)}");
                        _due = now + every - _early;
                    }
                    CompiledForProgress += JitInfo.GetCompiledMethodCount(currentThread: true) - compiled;
                    break;
                case SuiteEnded e:
                    Eta.Ended(e);
                    output.WriteLine(EndLine(e));
                    if (e.Verdict != "PASS" && e.Message is { Length: > 0 } m) output.WriteLine($"      {m}");
                    _due = DateTime.MaxValue;
                    break;
                case RunWarning w:
                    output.WriteLine($"validate: {w.Text}");
                    break;
                case string note when Verbose:
                    output.WriteLine($"validate: {note}");
                    break;
                case PlatformLine l when Verbose:
                    output.WriteLine(l.Text);
                    break;
            }
            output.Flush();
        }
    }

    /// <summary>A terminal: the start and end lines scroll, a progress bar per running suite and one for the run stay below them.</summary>
    public sealed class Live(IReadOnlyList<SuitePlan> suites, bool verbose, IAnsiConsole console) : RunConsole(suites, verbose)
    {
        public override void Pump(BlockingCollection<object> events)
        {
            // Drawn when an event comes (each second in a window), not by Spectre's refresh thread ten times a
            // second: nothing of ours should wake beside a measurement more often than the operator needs.
            console.Progress()
                .AutoRefresh(false)
                .AutoClear(true)
                .HideCompleted(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                .Start(ctx =>
                {
                    var run = ctx.AddTask(Markup.Escape(RunText()), maxValue: Math.Max(1, Eta.TotalS));
                    ProgressTask? suite = null;
                    foreach (var ev in events.GetConsumingEnumerable())
                    {
                        var compiled = JitInfo.GetCompiledMethodCount(currentThread: true);
                        switch (ev)
                        {
                            case SuiteStarted s:
                                Eta.Started(s);
                                console.MarkupLine(Markup.Escape(StartLine(s, Eta)));
                                suite = ctx.AddTask(Markup.Escape($"{s.Suite}: starting"), maxValue: s.Planned > 0 ? s.Planned : Math.Max(1, s.PlannedS));
                                _ = Markup.Escape(CompileProgressPath(s));
                                break;
                            case SuiteProgress p when suite is not null:
                                Eta.Progress(p);
                                suite.Description = Markup.Escape($"{p.Suite}: {ProgressText(p)}");
                                suite.Value = p.Planned > 0 ? p.Done : p.ElapsedS;
                                break;
                            case SuiteEnded e:
                                Eta.Ended(e);
                                suite?.StopTask();
                                suite = null;
                                var colour = e.Verdict switch { "PASS" => "green", "MARGINAL" or "SKIPPED" => "yellow", _ => "red" };
                                console.MarkupLine($"[{colour}]{Markup.Escape(EndLine(e))}[/]");
                                if (e.Verdict != "PASS" && e.Message is { Length: > 0 } m) console.MarkupLine(Markup.Escape($"      {m}"));
                                break;
                            case RunWarning w:
                                console.MarkupLine($"[yellow]{Markup.Escape($"validate: {w.Text}")}[/]");
                                break;
                            case string note when Verbose:
                                console.MarkupLine(Markup.Escape($"validate: {note}"));
                                break;
                            case PlatformLine l when Verbose:
                                console.MarkupLine(Markup.Escape(l.Text));
                                break;
                        }
                        run.Description = Markup.Escape(RunText());
                        run.Value = Math.Max(0, Eta.TotalS - Eta.RemainingS);
                        ctx.Refresh();
                        if (ev is SuiteProgress) CompiledForProgress += JitInfo.GetCompiledMethodCount(currentThread: true) - compiled;
                    }
                    run.StopTask();
                    ctx.Refresh();
                });
        }

        private string RunText() => $"run: {Eta.Done}/{Eta.Count} suites, ETA ~{SuiteEstimate.Words(Eta.RemainingS)}";
    }
}

/// <summary>
/// The run's remaining time: the suites not started at their planned time, the running one from its rate so
/// far (done/elapsed, once it has progress) else from its plan, the finished ones not at all.
/// </summary>
public sealed class RunEta
{
    private readonly Dictionary<string, double> _planned;
    private readonly Dictionary<string, string> _described;
    private readonly HashSet<string> _done = [];
    private string? _current;
    private double _currentRemaining;

    public RunEta(IReadOnlyList<SuitePlan> suites)
    {
        _planned = suites.ToDictionary(s => s.Name, s => SuiteEstimate.Of(s).Seconds);
        _described = suites.ToDictionary(s => s.Name, SuiteEstimate.Describe);
        TotalS = _planned.Values.Sum();
    }

    public double TotalS { get; }
    public int Count => _planned.Count;
    public int Done => _done.Count;

    public string PlannedWords(string suite) =>
        _described.GetValueOrDefault(suite, "planned: unknown");

    public void Started(SuiteStarted s)
    {
        _current = s.Suite;
        _currentRemaining = s.PlannedS;
    }

    public void Progress(SuiteProgress p)
    {
        if (p.Suite != _current) return;
        var planned = _planned.GetValueOrDefault(p.Suite, p.ElapsedS);
        _currentRemaining = p.Planned > 0 && p.Done > 0
            ? Math.Max(0, p.ElapsedS / p.Done * (p.Planned - p.Done))
            : Math.Max(0, planned - p.ElapsedS);
    }

    public void Ended(SuiteEnded e)
    {
        _done.Add(e.Suite);
        if (e.Suite == _current) (_current, _currentRemaining) = (null, 0);
    }

    public double RemainingS =>
        _planned.Where(kv => !_done.Contains(kv.Key) && kv.Key != _current).Sum(kv => kv.Value) + (_current is null ? 0 : _currentRemaining);
}
