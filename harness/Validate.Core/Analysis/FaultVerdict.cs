using Validate.Devices;
using Validate.Plans;
using Validate.Results;

namespace Validate.Analysis;

/// <summary>
/// A fault suite's verdict (docs/faults.md): the recovery stages against the plan's limits
/// (<see cref="LimitVerdict"/>), then the findings that each fail the suite: the line left masked or
/// screaming, valirq's release leaving the card interrupting, mismatches the accounting does not explain,
/// a storm, interrupts lost or handled twice, harm to the neighbour, a broken card, a broken channel,
/// the problems met on the way and repetitions not done. Findings that are explained go to
/// <see cref="FaultResult.Explained"/> with why.
/// </summary>
public static class FaultVerdict
{
    /// <summary>
    /// Judges <paramref name="result"/> (whose <see cref="SuiteResult.Fault"/> is filled). <paramref name="irq"/> is
    /// the card's line (for the storm finding); <paramref name="aborted"/>: a stop request cut the suite short,
    /// so missing repetitions are not a finding.
    /// </summary>
    public static void Judge(SuitePlan suite, string releasePolicy, int irq, IReadOnlyList<string> problems, bool aborted, SuiteResult result)
    {
        var f = suite.Fault!;
        var fr = result.Fault!;
        result.Stages.AddRange(FaultPlan.Stages.Select(s => StageStatistics.Exact(s, [.. fr.Repetitions.Where(r => r.PartsNs.ContainsKey(s)).Select(r => r.PartsNs[s])])));
        LimitVerdict.Judge(suite, result);
        var reasons = new List<string>();
        if (fr.LineProblems.Count > 0)
            reasons.Add($"line left masked or screaming: {fr.LineProblems[0]}{(fr.LineProblems.Count > 1 ? $" (and {fr.LineProblems.Count - 1} more)" : "")}");
        reasons.AddRange(ReleaseFindings(f.Kind, releasePolicy, fr));
        if (MismatchFinding(suite.Mode, fr.ValirqCounters.GetValueOrDefault("mismatches"), fr) is { } mismatch) reasons.Add(mismatch);
        if (fr.LineInterrupts is { } li && fr.LineRaises is { } lr && li > 3 * lr + 1000)
            reasons.Add($"line IRQ {irq} stormed: {li} interrupts for {lr} raises (line left screaming)");
        if (fr.Accounting is { } a)
        {
            if (a.Unexplained > suite.Limits.MaxLost)
                reasons.Add($"{a.Unexplained} interrupts lost that the accounting cannot explain (limit {suite.Limits.MaxLost}; first at {string.Join(", ", a.UnexplainedAtNs.Take(3).Select(Duration.Format))} into the suite)");
            if (a.Duplicated > f.MaxDuplicated) reasons.Add($"{a.Duplicated} interrupts handled twice (limit {f.MaxDuplicated})");
            if (a.Raised == 0) reasons.Add("no interrupt was raised");
        }
        if (fr.Neighbour is { } nb && (nb.Lost > 0 || nb.Duplicated > 0))
            reasons.Add($"the neighbour {nb.Card} on the shared line lost {nb.Lost} and double-handled {nb.Duplicated} of {nb.Raised} interrupts");
        if (!fr.CardCheckPassed && fr.CardCheck is not null) reasons.Add($"card after recovery: {fr.CardCheck}");
        if (fr.ProtocolErrors.Count > 0) reasons.Add($"driver broke the channel protocol: {fr.ProtocolErrors[0]}");
        reasons.AddRange(problems);
        if (fr.Repetitions.Count < f.Repetitions && !aborted)
            reasons.Add($"{fr.Repetitions.Count} of {f.Repetitions} repetitions done");
        result.CountsVerdict = reasons.Count > 0 ? Verdict.Fail : Verdict.Pass;
        if (result.Verdict == Verdict.Error || reasons.Count == 0) return;
        result.Verdict = Verdict.Fail;
        result.Message = string.Join("; ", reasons) + (result.Message is { Length: > 0 } m ? "; " + m : "");
    }

    /// <summary>
    /// Sums what valirq's release did over the repetitions into <paramref name="fr"/> and returns the
    /// findings: a release that left the card interrupting ("neither") fails the suite unless explained,
    /// and explained ones are listed in <see cref="FaultResult.Explained"/> with why. Explained: a
    /// revoked opener's release, which runs no quiesce steps by design (valirq took the card away at the
    /// revocation), when the reopened driver then served the card (its first interrupt came): the work
    /// left pending went to it.
    /// </summary>
    public static List<string> ReleaseFindings(string kind, string policy, FaultResult fr)
    {
        fr.Release = ReleaseOutcome.Count(fr.Repetitions.Select(r => r.Release));
        var reasons = new List<string>();
        var explained = fr.Repetitions.Where(r => r.Release == ReleaseOutcome.Neither && FaultPlan.IsRevoke(kind) && r.Events.Any(e => e.Name == "first interrupt")).ToList();
        if (explained.Count > 0)
            fr.Explained.Add($"neither in repetition {string.Join(", ", explained.Select(r => r.Index).Take(5))}{(explained.Count > 5 ? ", ..." : "")}: " +
                "a revoked opener's release runs no quiesce steps (valirq took the card away at the revocation), and the reopened driver served the work it left pending");
        var neither = fr.Repetitions.Where(r => r.Release == ReleaseOutcome.Neither && !explained.Contains(r)).Select(r => r.Index).ToList();
        if (neither.Count > 0)
        {
            var c = fr.ValirqCounters;
            var reset = c.GetValueOrDefault("reset_failures") > 0 ? $"the reset failed (reset_failures +{c["reset_failures"]})"
                : c.GetValueOrDefault("resets") > 0 ? $"the card still interrupted after valirq reset it (resets +{c["resets"]}: it keeps its interrupt state over a function reset)"
                : "the reset did not silence it";
            var what = policy switch
            {
                "reset" => reset,
                "quiesce-then-reset" => "the quiesce program did not silence it and " + reset,
                _ => "the quiesce program did not silence it",
            };
            reasons.Add($"valirq's release left the card interrupting (neither quiesced nor reset) in {neither.Count} of {fr.Repetitions.Count} repetitions " +
                $"(repetition {string.Join(", ", neither.Take(5))}{(neither.Count > 5 ? ", ..." : "")}): release is {policy} and {what}");
        }
        return reasons;
    }

    /// <summary>
    /// valirq's mismatches over a suite: on INTx, the card asserted the line while the IRQ program said it
    /// was not interrupting, and valirq masked it at the card: the program is wrong for the card, a
    /// finding. On MSI valirq counts an MSI its check did not recognise: when the driver acknowledges from
    /// user space, it may read and acknowledge a raise whose MSI is still on its way (so the check in the
    /// hard IRQ reads nothing), which is explained as long as every raise is accounted for (no unexplained
    /// loss, none handled twice); otherwise it is a finding too.
    /// </summary>
    public static string? MismatchFinding(string mode, long mismatches, FaultResult fr)
    {
        if (mismatches <= 0) return null;
        if (mode == "msi" && fr.Accounting is { LostUnexplained: 0, Duplicated: 0 })
        {
            fr.Explained.Add($"{mismatches} MSIs valirq's check did not recognise (sysfs mismatches): the driver had read and acknowledged their raises before their MSIs arrived " +
                "(user-space acknowledgement races the MSI), and every raise is accounted for");
            return null;
        }
        return mode == "msi"
            ? $"{mismatches} MSIs valirq's check did not recognise (sysfs mismatches), and the accounting does not explain them: the IRQ program's check is wrong for this card"
            : $"valirq masked the card {mismatches} times because it asserted INTx against the IRQ program (sysfs mismatches): the program's check or mask steps are wrong for this card";
    }

    /// <summary>What valirq's release ran under a policy, for messages: "the quiesce program", "the reset", "the quiesce program and the reset".</summary>
    public static string ReleasePhrase(string policy) => policy switch
    {
        "reset" => "the reset",
        "quiesce-then-reset" => "the quiesce program and the reset",
        _ => "the quiesce program",
    };

    /// <summary>
    /// With INTx disabled at the card and no driver on it: the line problem, or null when valirq holds the
    /// bit only for "off" (no INTx handler of valirq installed: a card bound to valirq asserts no line while
    /// nobody serves it). <paramref name="valirq"/> null: the card is not bound to valirq (after an unbind),
    /// which must leave INTx enabled for the next driver.
    /// </summary>
    public static string? LineProblemOfIntx(ValirqSysfs? valirq)
    {
        if (valirq is { Present: true } && valirq.HoldList is ["off"]) return null;
        var why = valirq is not { Present: true } ? ", by nobody (not bound to valirq)"
            : valirq.HoldList.Count == 0 ? ", not by valirq (intx_hold none)"
            : $", valirq holds it: {string.Join(' ', valirq.HoldList)}";
        return $"INTx left disabled at the card (masked){why}: no later interrupt of this card gets through until someone acknowledges it";
    }
}
