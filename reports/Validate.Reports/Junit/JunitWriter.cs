using System.Globalization;
using System.Xml.Linq;
using Validate.Results;

namespace Validate.Reports.Junit;

/// <summary>
/// JUnit XML for the lab's CI (Jenkins, GitLab): per suite one testcase for the suite as a whole (lost,
/// duplicated, missed, errors) and one per stage that has limits, named SUITE and SUITE.STAGE under the
/// class validate.PLAN, stable night after night. MARGINAL passes with the reason in system-out;
/// FAIL is a failure, ERROR an error, SKIPPED skipped, each with the numbers. results.json stays the
/// source of truth.
/// </summary>
public static class JunitWriter
{
    public const string FileName = "junit.xml";

    public static XDocument Render(RunResults r)
    {
        var cls = "validate." + Slug(r.Plan.Name);
        var cases = new List<XElement>();
        foreach (var s in r.Suites)
        {
            var secs = (s.Measurement?.DurationS ?? 0).ToString("0.000", CultureInfo.InvariantCulture);
            var stageLimits = s.Limits.GroupBy(l => l.Stage).ToList();
            var suiteLevel = stageLimits.Count == 0 ? s.Verdict : CountsVerdict(s);
            cases.Add(Case(cls, s.Name, secs, suiteLevel, s.Message ?? "", Summary(s)));
            foreach (var g in stageLimits)
            {
                var v = RunResults.Combine(g.Select(l => l.Verdict));
                if (s.Verdict is Verdict.Error or Verdict.Skipped) v = s.Verdict;
                cases.Add(Case(cls, $"{s.Name}.{g.Key}", "0", v, string.Join("; ", g.Select(l => l.Text)), Summary(s)));
            }
        }
        var suite = new XElement("testsuite",
            new XAttribute("name", r.Plan.Name),
            new XAttribute("tests", cases.Count),
            new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
            new XAttribute("errors", cases.Count(c => c.Element("error") is not null)),
            new XAttribute("skipped", cases.Count(c => c.Element("skipped") is not null)),
            new XAttribute("time", (r.EndedUtc - r.StartedUtc).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)),
            new XAttribute("timestamp", r.StartedUtc.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", r.Environment.Hostname),
            new XElement("properties",
                Prop("plan", r.Plan.Path), Prop("card", r.Plan.Card), Prop("kernel", r.Environment.KernelRelease),
                Prop("preemption", r.Environment.PreemptionModel), Prop("virtualLab", r.Environment.VirtualLab ? "yes (emulated)" : "no"),
                Prop("runId", r.RunId)),
            cases);
        return new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement("testsuites", new XAttribute("name", $"validate: {r.Plan.Name}"),
                new XAttribute("tests", cases.Count), new XAttribute("failures", suite.Attribute("failures")!.Value),
                new XAttribute("errors", suite.Attribute("errors")!.Value), new XAttribute("time", suite.Attribute("time")!.Value),
                suite));
    }

    public static void Write(RunResults r, string path)
    {
        var tmp = path + ".tmp";
        Render(r).Save(tmp);
        File.Move(tmp, path, overwrite: true);
    }

    private static Verdict CountsVerdict(SuiteResult s) =>
        s.Verdict is Verdict.Error or Verdict.Skipped ? s.Verdict : s.CountsVerdict ?? (s.Counts is null ? Verdict.Error : s.Verdict);

    private static string Summary(SuiteResult s) =>
        string.Join("\n", s.Stages.Select(st => $"{st.Name}: n {st.Count} min {st.MinNs} p50 {st.P50Ns} p99 {st.P99Ns} p99.9 {st.P999Ns} max {st.MaxNs} (ns)"))
        + (s.Counts is { } c ? $"\nlost {c.Lost} extra {c.Extra} missed {c.Missed} errors {c.Errors}" : "");

    private static XElement Case(string cls, string name, string time, Verdict v, string message, string output)
    {
        var e = new XElement("testcase", new XAttribute("classname", cls), new XAttribute("name", name), new XAttribute("time", time));
        switch (v)
        {
            case Verdict.Fail: e.Add(new XElement("failure", new XAttribute("message", message), new XAttribute("type", "FAIL"), output)); break;
            case Verdict.Error: e.Add(new XElement("error", new XAttribute("message", message), new XAttribute("type", "ERROR"), output)); break;
            case Verdict.Skipped: e.Add(new XElement("skipped", new XAttribute("message", message))); break;
            default: e.Add(new XElement("system-out", (v == Verdict.Marginal ? "MARGINAL: " : "PASS: ") + message + "\n" + output)); break;
        }
        return e;
    }

    private static XElement Prop(string name, string value) => new("property", new XAttribute("name", name), new XAttribute("value", value));

    private static string Slug(string s) => new(s.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
}
