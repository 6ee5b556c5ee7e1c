using Validate.Plans;

namespace Validate.Engine;

/// <summary>Where a run writes and how it reports progress.</summary>
/// <param name="OutDir">the run's output folder (results.json, samples/, loads/, drivers/)</param>
/// <param name="Log">notes for the run's log (never called from a measuring thread)</param>
/// <param name="Observer">the operator's view: suite started, progress, ended (<see cref="IRunObserver"/>); none by default</param>
public sealed record RunContext(string OutDir, Action<string> Log, IRunObserver? Observer = null);

/// <summary>
/// One kind of suite (latency, fault, and what comes): the session picks the runner whose
/// <see cref="Runs"/> says yes and runs it inside a <see cref="SuiteScope"/>, which owns what every
/// suite shares: the kernel log observed, the card's binding, the load profile, teardown in reverse
/// order, errors as ERROR, a stop request as ERROR with partial results. A new kind is one class.
/// </summary>
public interface ISuiteRunner
{
    bool Runs(SuitePlan suite);

    /// <summary>The progress line that opens the suite ("valirq msi, load cpu").</summary>
    string Describe(SuitePlan suite);

    /// <summary>
    /// Sets up, runs and takes down what is its own (threads, devices, processes); what the scope owns
    /// (bindings, loads) it undoes afterwards. Throws <see cref="ValidateException"/> (or an interop or I/O
    /// error) for a machine or plan problem: the suite is then ERROR and <see cref="Conclude"/> is not called.
    /// </summary>
    void Run(SuiteScope scope);

    /// <summary>After teardown: statistics and the verdict, from what <see cref="Run"/> kept. Not called for a SKIPPED suite.</summary>
    void Conclude(SuiteScope scope);

    /// <summary>
    /// How far the running suite is, read from another thread while <see cref="Run"/> runs (the progress
    /// sampler's, never a measuring thread's): counters the measuring threads keep anyway, read without a
    /// lock. Null while there is nothing to say (setting up, or a runner that keeps no count). Called once
    /// more before <see cref="Run"/>, on the suite's thread, so that it is compiled before any window: it
    /// must then say nothing (null) and change nothing its next call reads.
    /// </summary>
    SuiteProgress? Progress(SuitePlan suite, double elapsedS) => null;
}
