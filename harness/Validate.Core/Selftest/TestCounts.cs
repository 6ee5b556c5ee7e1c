using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Validate.Selftest;

/// <summary>Passed, failed and skipped counts of one test phase, read from its own report.</summary>
public readonly partial record struct TestCounts(int Passed, int Failed, int Skipped)
{
    public int Total => Passed + Failed + Skipped;

    public static TestCounts operator +(TestCounts a, TestCounts b) =>
        new(a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped);

    /// <summary>"N passed, N failed" plus ", N skipped" when any were: the closing line CI reads.</summary>
    public string Summary() => Skipped > 0 ? $"{Passed} passed, {Failed} failed, {Skipped} skipped" : $"{Passed} passed, {Failed} failed";

    /// <summary>Counts from a TRX file (Microsoft.Testing.Platform --report-trx): one UnitTestResult per test.</summary>
    public static TestCounts FromTrx(string path) => ReadTrx(path).Counts;

    /// <summary>
    /// The tests a TRX file says failed, each "name: the first line of its message, with what was expected and what came" (at most
    /// <paramref name="width"/> characters): what a reader of CI's last lines needs to know which one.
    /// </summary>
    public static IReadOnlyList<string> FailuresFromTrx(string path, int width = 400) => ReadTrx(path, width).Failures;

    /// <summary>A TRX file's counts and its failed tests (see <see cref="FailuresFromTrx"/>), in one reading.</summary>
    public static (TestCounts Counts, IReadOnlyList<string> Failures) ReadTrx(string path, int width = 400)
    {
        var doc = XDocument.Load(path);
        int passed = 0, skipped = 0;
        var failed = new List<string>();
        foreach (var r in doc.Descendants().Where(e => e.Name.LocalName == "UnitTestResult"))
        {
            switch ((string?)r.Attribute("outcome"))
            {
                case "Passed": passed++; break;
                case "NotExecuted" or "Inconclusive": skipped++; break;
                default:
                    var message = r.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? (string?)r.Attribute("outcome") ?? "";
                    failed.Add(Cut($"{(string?)r.Attribute("testName")}: {FirstFailure(message)}", width));
                    break;
            }
        }
        return (new TestCounts(passed, failed.Count, skipped), failed);
    }

    /// <summary>
    /// Counts from TAP output (kselftest style): "ok N ...", "not ok N ...", "# SKIP" as skipped.
    /// A plan "1..N" that is not met counts the missing tests as failed, so a crashed runner cannot pass.
    /// </summary>
    public static TestCounts FromTap(IEnumerable<string> lines) => ReadTap(lines).Counts;

    /// <summary>The "not ok" lines of TAP output, trimmed to <paramref name="width"/> characters.</summary>
    public static IReadOnlyList<string> FailuresFromTap(IEnumerable<string> lines, int width = 400) => ReadTap(lines, width).Failures;

    /// <summary>TAP output's counts and its failures (the "not ok" lines, and a line for a plan not met), in one reading.</summary>
    public static (TestCounts Counts, IReadOnlyList<string> Failures) ReadTap(IEnumerable<string> lines, int width = 400)
    {
        int passed = 0, failed = 0, skipped = 0, planned = -1;
        var failures = new List<string>();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            var plan = TapPlan().Match(line);
            if (plan.Success) { planned = int.Parse(plan.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture); continue; }
            var m = TapResult().Match(line);
            if (!m.Success) continue;
            var directive = m.Groups[2].Value;
            if (directive.StartsWith("SKIP", StringComparison.OrdinalIgnoreCase)) skipped++;
            else if (m.Groups[1].Success) { failed++; failures.Add(Cut(line, width)); }
            else passed++;
        }
        if (planned >= 0 && passed + failed + skipped < planned)
        {
            var missing = planned - (passed + failed + skipped);
            failed += missing;
            failures.Add($"{missing} of the {planned} planned tests never reported");
        }
        return (new TestCounts(passed, failed, skipped), failures);
    }

    /// <summary>
    /// A failure message in one line: its first line with what was expected and what came; of an
    /// Assert.Multiple's, the first of its failures ("1 of N: ...") rather than its header, which says nothing.
    /// </summary>
    private static string FirstFailure(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return "";
        var prefix = "";
        if (lines[0].StartsWith("Multiple failures or warnings", StringComparison.Ordinal) && lines.Count > 1)
        {
            var count = lines.Count(l => InnerFailure().IsMatch(l));
            lines.RemoveAt(0);
            lines[0] = InnerFailure().Replace(lines[0], "");
            prefix = $"1 of {count}: ";
        }
        // The message, then its "Expected:" and "But was:" lines, up to the next failure.
        var taken = lines.Take(1).Concat(lines.Skip(1).TakeWhile(l => !InnerFailure().IsMatch(l)).Where(l => l.StartsWith("Expected", StringComparison.Ordinal) || l.StartsWith("But was", StringComparison.Ordinal)));
        return prefix + string.Join(" / ", taken);
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 3)] + "...";

    [GeneratedRegex(@"^\d+\)\s*")] private static partial Regex InnerFailure();
    [GeneratedRegex(@"^1\.\.(\d+)")] private static partial Regex TapPlan();
    [GeneratedRegex(@"^(not )?ok \d+\b[^#]*(?:#\s*(\w.*))?$")] private static partial Regex TapResult();
}
