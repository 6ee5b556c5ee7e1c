using Validate.Analysis;
using Validate.Devices;
using Validate.Interop;
using Validate.Loads;
using Validate.Platform;
using Validate.Plans;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// The lifecycle every suite shares, whatever its kind: the kernel log observed over the suite (any WARN,
/// BUG, Oops, "nobody cared", ... fails it), the card found and bound, the load profile started and let
/// settle, everything set up undone in reverse order (also when the runner throws), an error of the
/// machine or the plan turned into the suite's ERROR with its message, and a stop request turned into
/// ERROR with the partial results.
/// </summary>
public sealed class SuiteScope
{
    private readonly Stack<(string What, Action Undo)> _teardown = new();
    private LoadSet? _loads;
    private bool _loadsStopped;

    public Plan Plan { get; }
    public SuitePlan Suite { get; }
    public RunContext Context { get; }
    public SuiteResult Result { get; }

    private SuiteScope(Plan plan, SuitePlan suite, RunContext ctx)
    {
        Plan = plan;
        Suite = suite;
        Context = ctx;
        Result = new SuiteResult
        {
            Name = suite.Name, Backend = suite.Backend.ToString().ToLowerInvariant(), Mode = suite.Mode,
            Load = new LoadInfo(suite.Load.Name, suite.Load.Description, []),
            Parameters = SuiteConfiguration.Parameters(plan, suite),
        };
    }

    public void Log(string line) => Context.Log(line);

    /// <summary>Runs one suite through <paramref name="runner"/>: set up, run, teardown, conclude, kernel log.</summary>
    public static SuiteResult Run(ISuiteRunner runner, Plan plan, SuitePlan suite, RunContext ctx)
    {
        var scope = new SuiteScope(plan, suite, ctx);
        var result = scope.Result;
        if (VfioUnavailable(scope) is { } why)
        {
            result.Verdict = Verdict.Skipped;
            result.Message = why;
            return result;
        }
        using var kernelLog = KernelLog.OpenAtEnd();
        bool ran, tornDown;
        try
        {
            // Progress is read while the runner runs, and stops before its teardown and conclusion.
            using (ProgressSampler.Start(runner, suite, ctx.Observer, ProgressSampler.HousekeepingCpus(suite)))
                ran = Guard(result, () => runner.Run(scope));
        }
        finally
        {
            // Whatever the runner threw (a bug included, which goes on up): the machine is left as found.
            tornDown = Guard(result, scope.Teardown);
        }
        if (ran && tornDown && result.Verdict != Verdict.Skipped) Guard(result, () => runner.Conclude(scope));
        if (RunAbort.Requested) LimitVerdict.Interrupted(result, RunAbort.Why ?? "stop requested");
        if (kernelLog.Available)
        {
            result.KernelLog = [.. kernelLog.ReadNew()];
            foreach (var f in Lab.KernelLogScanner.Scan(result.KernelLog, "kernel log")) result.KernelFindings.Add($"{f.Kind}: {f.Line}");
            if (result.KernelFindings.Count > 0 && result.Verdict != Verdict.Error)
            {
                result.Verdict = Verdict.Fail;
                result.CountsVerdict = Verdict.Fail;
                result.Message = $"kernel log: {result.KernelFindings[0]}{(result.KernelFindings.Count > 1 ? $" and {result.KernelFindings.Count - 1} more" : "")}; " + result.Message;
            }
        }
        return result;
    }

    /// <summary>
    /// A vfio suite on a machine whose card has no IOMMU group (no IOMMU, or it is off) cannot run: it is
    /// skipped with the fix, not failed (the machine lacks a capability; a lab turns it on). Any other
    /// obstacle (vfio-pci not loaded, a shared group) is the suite's error, said by the backend.
    /// </summary>
    private static string? VfioUnavailable(SuiteScope scope)
    {
        if (scope.Suite.Backend != BackendKind.Vfio) return null;
        try
        {
            var card = scope.FindCard();
            return Interop.VfioSetup.GroupOf(card.Address, out var error) is null ? $"needs VFIO, which needs an IOMMU: {error}" : null;
        }
        catch (ValidateException)
        {
            return null; // no card: the runner says so
        }
    }

    /// <summary>Runs a phase; an error of the machine or the plan becomes the suite's ERROR (the first one's message is kept).</summary>
    private static bool Guard(SuiteResult result, Action phase)
    {
        try
        {
            phase();
            return true;
        }
        catch (Exception e) when (e is ValidateException or InteropException or IOException or UnauthorizedAccessException)
        {
            if (result.Verdict != Verdict.Error) result.Message = e.Message;
            result.Verdict = Verdict.Error;
            return false;
        }
    }

    /// <summary>The plan's card among the machine's PCI functions, its identity in the suite's facts.</summary>
    public PciDevice FindCard()
    {
        var card = CardLocator.Find(Plan.Card);
        Result.Facts["card"] = $"{card.Address} {card.Vendor:x4}:{card.Device:x4} rev {card.Revision:x2}";
        Result.CardAddress = card.Address;
        Result.CardId = $"{card.Vendor:x4}:{card.Device:x4}";
        Result.CardRevision = $"{card.Revision:x2}";
        return card;
    }

    /// <summary>Binds a PCI function to a driver for the suite; the binding is undone at teardown.</summary>
    public PciBinding Bind(string address, string driver)
    {
        var b = PciBinding.Bind(address, driver);
        Defer($"binding of {address} to {driver}", b.Dispose);
        return b;
    }

    /// <summary>Something to undo at teardown: after everything set up later, before everything set up earlier.</summary>
    public void Defer(string what, Action undo) => _teardown.Push((what, undo));

    /// <summary>
    /// Starts the suite's load profile (nothing when idle) and lets it settle; an irq-flood load floods
    /// another card of the plan's type (<see cref="IrqFlood"/>) than <paramref name="card"/>. Stopped by
    /// <see cref="StopLoads"/> or at teardown; what ran goes into the result.
    /// </summary>
    public void StartLoads(PciDevice? card)
    {
        var suite = Suite;
        if (suite.Load.Commands.Count == 0) return;
        var dir = Path.Combine(Context.OutDir, "loads");
        _loads = LoadSet.Start(suite.Load, dir, (cmd, log) =>
            card is not null && CardLocator.FindFlood(Plan.Card, card.Address) is { } flood ? IrqFlood.Start(Plan, flood.Address, cmd, log) : null);
        Defer($"load {suite.Load.Name}", StopLoads);
        Log($"{suite.Name}: load {suite.Load.Name} started ({string.Join("; ", suite.Load.Commands)}); settling {suite.LoadSettleS:0.#} s");
        Thread.Sleep(TimeSpan.FromSeconds(suite.LoadSettleS));
        if (_loads.Exited().ToList() is { Count: > 0 } exited)
            throw new ValidateException(ExitCodes.SetupError, $"load {suite.Load.Name}: exited before measuring began: {string.Join(", ", exited)}; see {dir}");
    }

    /// <summary>Stops the loads (idempotent) and records what ran.</summary>
    public void StopLoads()
    {
        if (_loads is null || _loadsStopped) return;
        _loadsStopped = true;
        try
        {
            Result.Load = new LoadInfo(Suite.Load.Name, Suite.Load.Description, _loads.Stop());
        }
        finally
        {
            _loads.Dispose();
        }
    }

    /// <summary>Undoes everything, newest first; every step runs even when one fails (the first failure is rethrown).</summary>
    private void Teardown()
    {
        Exception? first = null;
        while (_teardown.TryPop(out var t))
        {
            try { t.Undo(); }
            catch (Exception e) when (e is ValidateException or InteropException or IOException or UnauthorizedAccessException)
            {
                first ??= new ValidateException(ExitCodes.SetupError, $"undoing the {t.What}: {e.Message}");
            }
        }
        if (first is not null) throw first;
    }
}
