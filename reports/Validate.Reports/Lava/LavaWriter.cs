using System.Globalization;
using Validate.Results;

namespace Validate.Reports.Lava;

/// <summary>
/// LAVA test-case lines (<c>validate run --lava</c>, <c>validate report --lava</c>), so that a LAVA lab takes
/// Validate's verdicts and numbers as its own: the lines a test shell's <c>lava-test-case</c> emits,
/// <c>&lt;LAVA_SIGNAL_TESTCASE TEST_CASE_ID=... RESULT=... [UNITS=... MEASUREMENT=...]&gt;</c>, one per line,
/// inside a test set named after the plan. The cases are JUnit's (<see cref="Junit.JunitWriter"/>): per suite
/// one for the suite as a whole and one per stage that has limits; then the measurements: each stage's p50,
/// p99 and max in microseconds (a fault suite's recovery in milliseconds) and the counts that decide a
/// verdict, each with the result of its limit when the plan sets one, else pass. MARGINAL is pass (the
/// reason is in the report); ERROR is fail; SKIPPED is skip. Names are stable night after night.
/// </summary>
public static class LavaWriter
{
    public static IEnumerable<string> Lines(RunResults r)
    {
        yield return $"<LAVA_SIGNAL_TESTSET START {Id(r.Plan.Name)}>";
        foreach (var s in r.Suites)
        {
            var stageLimits = s.Limits.GroupBy(l => l.Stage).ToList();
            var suiteLevel = stageLimits.Count == 0 || s.Verdict is Verdict.Error or Verdict.Skipped ? s.Verdict : s.CountsVerdict ?? s.Verdict;
            yield return Case(s.Name, suiteLevel);
            foreach (var g in stageLimits)
                yield return Case($"{s.Name}.{g.Key}", s.Verdict is Verdict.Error or Verdict.Skipped ? s.Verdict : RunResults.Combine(g.Select(l => l.Verdict)));
            if (s.Verdict == Verdict.Skipped) continue;
            var fault = s.Fault is not null;
            foreach (var st in s.Stages.Where(st => st.Count > 0))
            {
                foreach (var (stat, ns) in new[] { ("p50", st.P50Ns), ("p99", st.P99Ns), ("max", st.MaxNs) })
                {
                    var limit = s.Limits.FirstOrDefault(l => l.Stage == st.Name && l.Statistic == stat);
                    var v = s.Verdict == Verdict.Error ? Verdict.Error : limit?.Verdict ?? Verdict.Pass;
                    yield return Case($"{s.Name}.{st.Name}.{stat}", v, fault ? "ms" : "us", fault ? ns / 1e6 : ns / 1e3);
                }
            }
            if (s.Counts is { } c)
            {
                yield return Case($"{s.Name}.lost", Verdict.Pass, "interrupts", c.Lost);
                yield return Case($"{s.Name}.extra", Verdict.Pass, "interrupts", c.Extra);
                if (c.Missed > 0 || s.Backend == "timer") yield return Case($"{s.Name}.missed", Verdict.Pass, "periods", c.Missed);
            }
            if (s.Fault?.Accounting is { } a)
            {
                yield return Case($"{s.Name}.lost-unexplained", Verdict.Pass, "interrupts", a.LostUnexplained);
                yield return Case($"{s.Name}.duplicated", Verdict.Pass, "interrupts", a.Duplicated);
            }
        }
        yield return "<LAVA_SIGNAL_TESTSET STOP>";
    }

    /// <summary>LAVA's result words: pass, fail, skip (MARGINAL passes; ERROR fails).</summary>
    public static string Result(Verdict v) => v switch
    {
        Verdict.Pass or Verdict.Marginal => "pass",
        Verdict.Skipped => "skip",
        _ => "fail",
    };

    private static string Case(string name, Verdict v, string? units = null, double? measurement = null) =>
        measurement is { } m
            ? $"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID={Id(name)} RESULT={Result(v)} UNITS={units} MEASUREMENT={m.ToString("0.###", CultureInfo.InvariantCulture)}>"
            : $"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID={Id(name)} RESULT={Result(v)}>";

    /// <summary>A test case or set name LAVA takes: letters, digits, '.', '_' and '-' (anything else becomes '_').</summary>
    public static string Id(string name) =>
        new(name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '_').ToArray());
}
