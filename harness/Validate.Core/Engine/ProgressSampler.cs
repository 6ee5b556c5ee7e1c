using System.Diagnostics;
using Validate.Interop;
using Validate.Plans;
using Validate.Realtime;

namespace Validate.Engine;

/// <summary>
/// The suite's progress, for the operator: a thread of its own, kept off the suite's measuring CPUs, that
/// wakes once per interval (what the front end shows: <see cref="IntervalVariable"/>), reads the runner's counters (<see cref="ISuiteRunner.Progress"/>: plain reads,
/// no lock, nothing the measuring threads wait for) and hands them to the observer. When every CPU the
/// process may use measures, it does not sample at all (the start line says so): nothing of ours runs
/// beside the measuring threads but them.
/// </summary>
public sealed class ProgressSampler : IDisposable
{
    /// <summary>How often progress is read unless the front end says (<see cref="IntervalVariable"/>): once a second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The front end's interval in ms (`validate run` sets it: 1000 for its live display, its plain lines' interval
    /// otherwise), 100 to 3,600,000; anything else: <see cref="Interval"/>.
    /// </summary>
    public const string IntervalVariable = "VALIDATE_PROGRESS_MS";

    public static TimeSpan IntervalFrom(string? ms) =>
        int.TryParse(ms, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is >= 100 and <= 3_600_000
            ? TimeSpan.FromMilliseconds(v)
            : Interval;

    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread? _thread;

    private ProgressSampler(Thread? thread) => _thread = thread;

    /// <summary>The CPUs the sampler may run on: those the process may use, less the suite's measuring CPUs; empty when none is left.</summary>
    public static IReadOnlyList<int> HousekeepingCpus(SuitePlan suite)
    {
        var allowed = Scheduling.GetAffinity(0);
        return [.. allowed.Where(c => !suite.Cpus.Contains(c))];
    }

    /// <summary>Starts sampling <paramref name="runner"/> for <paramref name="suite"/>; null observer or no free CPU: nothing runs.</summary>
    public static ProgressSampler Start(ISuiteRunner runner, SuitePlan suite, IRunObserver? observer, IReadOnlyList<int> cpus)
    {
        if (observer is null || cpus.Count == 0) return new ProgressSampler(null);
        var sampler = default(ProgressSampler);
        var interval = IntervalFrom(Environment.GetEnvironmentVariable(IntervalVariable));
        // Nothing done yet, said before the suite starts: the front end shows it, and the observer's path (its
        // encoding, its write) is compiled here, not on the first sample inside the window (19 methods, measured).
        // The runner's side likewise (it has nothing yet, and says so; its warm-up compiles the rest).
        _ = runner.Progress(suite, 0);
        var (_, planned, unit) = SuiteEstimate.Of(suite);
        observer.Progress(new SuiteProgress(suite.Name, 0, planned, unit, 0, 0, -1, 0, 0));
        var sw = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            try { RealtimeCalls.SetAffinity(cpus); }
            catch (InteropException) { return; } // could not keep off the measuring CPUs: no progress rather than a disturbed window
            while (!sampler!._stop.Wait(interval))
            {
                if (runner.Progress(suite, sw.Elapsed.TotalSeconds) is { } p) observer.Progress(p);
            }
        }) { IsBackground = true, Name = "validate-progress" };
        sampler = new ProgressSampler(thread);
        thread.Start();
        return sampler;
    }

    /// <summary>Stops sampling and waits for the thread: the runner's state is its own again.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _stop.Dispose();
    }
}
