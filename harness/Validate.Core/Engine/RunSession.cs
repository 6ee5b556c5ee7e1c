using Validate.Platform;
using Validate.Plans;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// One run of a plan: the environment captured and the process put in real-time mode once, then suites
/// run one by one, the results file rewritten (atomically) after each so that a killed run keeps what it
/// measured. Used by the NUnit suites (fixtures/Validate.Suites), one session per process.
/// </summary>
public sealed class RunSession : IDisposable
{
    public const string ResultsFileName = "results.json";
    private readonly ProcessSetup _setup;
    private readonly RunContext _ctx;
    private readonly ManualResetEventSlim _idle = new(true);
    private readonly IReadOnlyList<ISuiteRunner> _runners;
    private readonly IReadOnlyList<string> _selected;
    private int _disposed;

    public Plan Plan { get; }
    public RunResults Results { get; }
    public string ResultsPath => Path.Combine(_ctx.OutDir, ResultsFileName);

    private RunSession(Plan plan, RunContext ctx, IReadOnlyList<ISuiteRunner> runners, ProcessSetup setup, RunResults results, IReadOnlyList<string> selected)
    {
        Plan = plan;
        _selected = selected;
        _runners = runners;
        _ctx = ctx;
        _setup = setup;
        Results = results;
    }

    /// <param name="runners">one per kind of suite (latency, fault, ...): each suite goes to the first that handles it</param>
    /// <param name="selected">the suites this run runs, in the plan's order (default: all); the start and end lines count them</param>
    public static RunSession Start(Plan plan, RunContext ctx, IReadOnlyList<ISuiteRunner> runners, IReadOnlyList<string>? selected = null)
    {
        selected ??= [.. plan.Suites.Select(s => s.Name)];
        foreach (var s in plan.Suites)
            if (!runners.Any(r => r.Runs(s)))
                throw new ValidateException(ExitCodes.InputError, $"{plan.SourcePath}: suite {s.Name}: no runner for its kind in this harness");
        Directory.CreateDirectory(ctx.OutDir);
        var env = SystemSnapshot.Capture();
        foreach (var w in env.Warnings) ctx.Log($"WARNING: {w}");
        var setup = ProcessSetup.Apply(plan.Realtime);
        foreach (var p in setup.State.Problems) ctx.Log($"NOT REAL-TIME: {p}");
        var results = new RunResults
        {
            RunId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{env.Hostname}-{Environment.ProcessId}",
            StartedUtc = DateTime.UtcNow,
            Plan = new PlanInfo(plan.SourcePath, plan.Name, plan.Description,
                $"{plan.Card.Name} {plan.Card.Vendor:x4}:{plan.Card.Device:x4}", plan.Card.Address, plan.Overrides),
            Environment = env,
            Realtime = setup.State,
        };
        var session = new RunSession(plan, ctx, runners, setup, results, selected);
        session.Save();
        return session;
    }

    public SuiteResult Run(string suiteName)
    {
        var suite = Plan.Suites.FirstOrDefault(s => s.Name == suiteName)
                    ?? throw new ValidateException(ExitCodes.Usage, $"no suite {suiteName} in {Plan.SourcePath}");
        _idle.Reset();
        try
        {
            return RunOne(suite);
        }
        finally
        {
            _idle.Set();
        }
    }

    /// <summary>Waits until no suite is running (a stop was requested: the loop ends, loads stop, devices close).</summary>
    public bool WaitIdle(TimeSpan timeout) => _idle.Wait(timeout);

    private SuiteResult RunOne(SuitePlan suite)
    {
        SuiteResult r;
        var index = _selected.ToList().IndexOf(suite.Name) + 1;
        var of = _selected.Count;
        if (index == 0) (index, of) = (of + 1, of + 1); // run by name though not selected (a direct NUnit filter)
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (RunAbort.Requested)
            r = new SuiteResult { Name = suite.Name, Backend = suite.Backend.ToString().ToLowerInvariant(), Mode = suite.Mode, Verdict = Verdict.Skipped, Message = $"not run: {RunAbort.Why}" };
        else
        {
            var runner = _runners.First(x => x.Runs(suite));
            var what = runner.Describe(suite);
            _ctx.Log($"{suite.Name}: {what}");
            var (plannedS, planned, unit) = SuiteEstimate.Of(suite);
            var quiet = ProgressSampler.HousekeepingCpus(suite).Count == 0 ? "no live progress: every CPU of the process measures" : null;
            _ctx.Observer?.Started(new SuiteStarted(suite.Name, index, of, what, plannedS, planned, unit, quiet));
            r = SuiteScope.Run(runner, Plan, suite, _ctx);
        }
        r.Parameters ??= SuiteConfiguration.Parameters(Plan, suite);
        r.ConfigHash = SuiteConfiguration.Hash(r.Parameters, Results.Environment.KernelConfigHash, r.CardRevision);
        lock (Results)
        {
            Results.Suites.RemoveAll(s => s.Name == r.Name);
            Results.Suites.Add(r);
            Save();
        }
        _ctx.Log($"{suite.Name}: {r.Verdict.ToString().ToUpperInvariant()}: {r.Message}");
        _ctx.Observer?.Ended(new SuiteEnded(suite.Name, index, of, r.Verdict.ToString().ToUpperInvariant(), r.Message, KeyNumbers(r), sw.Elapsed.TotalSeconds));
        return r;
    }

    /// <summary>The end line's numbers: the headline stage's p50, p99 and max, and the counts that decide a verdict.</summary>
    public static string KeyNumbers(SuiteResult r)
    {
        var parts = new List<string>();
        if (r.Fault is { } f)
        {
            if (r.Stages.FirstOrDefault(s => s.Name == "total") is { Count: > 0 } t)
                parts.Add($"recovery p50 {Duration.Format(t.P50Ns)}, p99 {Duration.Format(t.P99Ns)}, max {Duration.Format(t.MaxNs)} over {t.Count}");
            if (f.Accounting is { } a) parts.Add($"{a.Raised} raised, {a.Unexplained} lost unexplained, {a.Duplicated} duplicated");
        }
        else
        {
            if (r.Stages.Count > 0 && r.Stages[^1] is { Count: > 0 } t)
                parts.Add($"{t.Name} p50 {Duration.Format(t.P50Ns)}, p99 {Duration.Format(t.P99Ns)}, max {Duration.Format(t.MaxNs)} over {t.Count}");
            if (r.Counts is { } c) parts.Add($"lost {c.Lost}, extra {c.Extra}{(c.Missed > 0 ? $", missed {c.Missed}" : "")}");
        }
        return string.Join("; ", parts);
    }

    private void Save()
    {
        Results.EndedUtc = DateTime.UtcNow;
        Results.Verdict = RunResults.Combine(Results.Suites.Select(s => s.Verdict));
        Results.Write(ResultsPath);
    }

    /// <summary>Writes the results a last time and releases the process-wide real-time settings. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (Results) Save();
        _setup.Dispose();
    }
}
