using Validate.Plans;
using Validate.Results;

namespace Validate.Analysis;

/// <summary>
/// A suite's verdict against the plan's limits: each stage limit with the marginal band, and the counts
/// that must stay at zero (lost, extra, missed, failed device calls). Used by every kind of suite: a
/// fault suite's recovery stages are judged here too, before its own findings.
/// </summary>
public static class LimitVerdict
{
    public static void Judge(SuitePlan suite, SuiteResult result)
    {
        var lim = suite.Limits;
        var verdicts = new List<Verdict>();
        var countVerdicts = new List<Verdict>();
        var reasons = new List<string>();
        foreach (var l in lim.Stages)
        {
            var stage = result.Stages.FirstOrDefault(s => s.Name == l.Stage);
            long? value = stage is { Count: > 0 } ? stage.Statistic(l.Statistic) : null;
            Verdict v;
            string text;
            if (value is null) { v = Verdict.Fail; text = $"{l.Stage} {l.Statistic}: no samples (limit {Duration.Format(l.Ns)})"; }
            else if (value > l.Ns) { v = Verdict.Fail; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} > limit {Duration.Format(l.Ns)}"; }
            else if (value > l.Ns * (1 - lim.Marginal)) { v = Verdict.Marginal; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} within {lim.Marginal:P0} of limit {Duration.Format(l.Ns)}"; }
            else { v = Verdict.Pass; text = $"{l.Stage} {l.Statistic} {Duration.Format(value.Value)} <= {Duration.Format(l.Ns)}"; }
            result.Limits.Add(new LimitResult(l.Stage, l.Statistic, l.Ns, value, v, text));
            verdicts.Add(v);
            if (v != Verdict.Pass) reasons.Add(text);
        }
        if (result.Counts is { } c)
        {
            if (c.Recorded == 0) { countVerdicts.Add(Verdict.Fail); reasons.Add("no samples were recorded"); }
            if (c.Lost > lim.MaxLost) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Lost} interrupts lost (limit {lim.MaxLost})"); }
            if (c.Extra > lim.MaxExtra) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Extra} interrupts more than stimuli (duplicated or unrequested; limit {lim.MaxExtra})"); }
            if (c.Missed > lim.MaxMissed) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Missed} timer periods missed (limit {lim.MaxMissed})"); }
            if (c.Errors > 0) { countVerdicts.Add(Verdict.Fail); reasons.Add($"{c.Errors} device calls failed, last {c.LastError}"); }
        }
        result.CountsVerdict = RunResults.Combine(countVerdicts);
        verdicts.AddRange(countVerdicts);
        if (result.Verdict == Verdict.Error) return;
        result.Verdict = RunResults.Combine(verdicts);
        var rtNote = result.Realtime is { IsRealtime: false } r ? $"NOT REAL-TIME ({string.Join("; ", r.Problems)}); " : "";
        result.Message = reasons.Count > 0 ? rtNote + string.Join("; ", reasons) : rtNote + (lim.Stages.Count == 0 ? "no limits in the plan: measured only" : "all limits met");
    }

    /// <summary>A suite a stop request cut short: ERROR, whatever it measured, with what it had (a suite already in ERROR keeps its own message).</summary>
    public static void Interrupted(SuiteResult result, string why)
    {
        if (result.Verdict is Verdict.Skipped or Verdict.Error) return;
        result.Verdict = Verdict.Error;
        result.Message = $"interrupted ({why}); partial results: " + result.Message;
    }
}
