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
    private int _disposed;

    public Plan Plan { get; }
    public RunResults Results { get; }
    public string ResultsPath => Path.Combine(_ctx.OutDir, ResultsFileName);

    private RunSession(Plan plan, RunContext ctx, IReadOnlyList<ISuiteRunner> runners, ProcessSetup setup, RunResults results)
    {
        Plan = plan;
        _runners = runners;
        _ctx = ctx;
        _setup = setup;
        Results = results;
    }

    /// <param name="runners">one per kind of suite (latency, fault, ...): each suite goes to the first that handles it</param>
    public static RunSession Start(Plan plan, RunContext ctx, IReadOnlyList<ISuiteRunner> runners)
    {
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
                $"{plan.Card.Name} {plan.Card.Vendor:x4}:{plan.Card.Device:x4}", plan.Card.Address),
            Environment = env,
            Realtime = setup.State,
        };
        var session = new RunSession(plan, ctx, runners, setup, results);
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
        if (RunAbort.Requested)
            r = new SuiteResult { Name = suite.Name, Backend = suite.Backend.ToString().ToLowerInvariant(), Mode = suite.Mode, Verdict = Verdict.Skipped, Message = $"not run: {RunAbort.Why}" };
        else
        {
            var runner = _runners.First(x => x.Runs(suite));
            _ctx.Log($"{suite.Name}: {runner.Describe(suite)}");
            r = SuiteScope.Run(runner, Plan, suite, _ctx);
        }
        lock (Results)
        {
            Results.Suites.RemoveAll(s => s.Name == r.Name);
            Results.Suites.Add(r);
            Save();
        }
        _ctx.Log($"{suite.Name}: {r.Verdict.ToString().ToUpperInvariant()}: {r.Message}");
        return r;
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
