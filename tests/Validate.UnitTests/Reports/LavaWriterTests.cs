using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Reports.Lava;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.Reports;

/// <summary>
/// The LAVA test-case lines carry each suite's result and its numbers in the form a LAVA test shell's
/// signals take (<c>&lt;LAVA_SIGNAL_NAME key=value ...&gt;</c>, one a line, parsed by splitting on spaces),
/// with names LAVA takes whatever the plan calls its suites.
/// </summary>
public class LavaWriterTests
{
    /// <summary>A signal as LAVA's test shell reads it: name, then space-separated KEY=VALUE pairs.</summary>
    private static (string Signal, Dictionary<string, string> Fields) Parse(string line)
    {
        var m = Regex.Match(line, "^<LAVA_SIGNAL_(\\S+) ([^>]+)>$");
        Assert.That(m.Success, Is.True, $"not a LAVA signal: {line}");
        var fields = m.Groups[2].Value.Split(' ').Where(p => p.Contains('=', StringComparison.Ordinal))
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return (m.Groups[1].Value, fields);
    }

    private static Dictionary<string, Dictionary<string, string>> Cases(RunResults r) =>
        LavaWriter.Lines(r).Select(Parse).Where(s => s.Signal == "TESTCASE").ToDictionary(s => s.Fields["TEST_CASE_ID"], s => s.Fields);

    [Test]
    public void Every_line_is_a_well_formed_signal_inside_one_test_set()
    {
        var lines = LavaWriter.Lines(ReportTests.Sample()).ToList();
        Assert.That(lines[0], Is.EqualTo("<LAVA_SIGNAL_TESTSET START edu>"));
        Assert.That(lines[^1], Is.EqualTo("<LAVA_SIGNAL_TESTSET STOP>"));
        foreach (var (signal, f) in lines.Skip(1).SkipLast(1).Select(Parse))
        {
            Assert.That(signal, Is.EqualTo("TESTCASE"));
            Assert.That(f["TEST_CASE_ID"], Does.Match("^[A-Za-z0-9._-]+$"));
            Assert.That(f["RESULT"], Is.AnyOf("pass", "fail", "skip"));
            if (f.TryGetValue("MEASUREMENT", out var m))
            {
                Assert.That(double.TryParse(m, NumberStyles.Float, CultureInfo.InvariantCulture, out _), Is.True, m);
                Assert.That(f["UNITS"], Is.Not.Empty);
            }
        }
    }

    [Test]
    public void Results_and_measurements_follow_the_verdicts_and_stages()
    {
        var cases = Cases(ReportTests.Sample());
        Assert.That(cases["msi-idle"]["RESULT"], Is.EqualTo("pass"));
        Assert.That(cases["msi-cpu"]["RESULT"], Is.EqualTo("fail"), "the suite's counts failed: 2 lost");
        Assert.That(cases["msi-cpu.total"]["RESULT"], Is.EqualTo("fail"), "its total p99 limit failed");
        Assert.That(cases["msi-cpu.total.p99"]["RESULT"], Is.EqualTo("fail"));
        Assert.That(cases["msi-idle.total.p99"], Is.EquivalentTo(new Dictionary<string, string>
        {
            ["TEST_CASE_ID"] = "msi-idle.total.p99", ["RESULT"] = "pass", ["UNITS"] = "us", ["MEASUREMENT"] = "300",
        }), "p99 50 x 6000 ns = 300 us");
        Assert.That(cases["msi-cpu.lost"]["MEASUREMENT"], Is.EqualTo("2"));
        Assert.That(cases["uio"]["RESULT"], Is.EqualTo("skip"));
        Assert.That(cases.Keys, Has.None.StartsWith("uio."), "a skipped suite has no measurements");
    }

    [Test]
    public void A_marginal_suite_passes_and_an_error_fails()
    {
        var r = ReportTests.Sample();
        r.Suites[0].Verdict = Verdict.Marginal;
        r.Suites[0].CountsVerdict = Verdict.Marginal;
        r.Suites[2].Verdict = Verdict.Error;
        var cases = Cases(r);
        Assert.That(cases["msi-idle"]["RESULT"], Is.EqualTo("pass"), "MARGINAL is a pass with its reason in the report");
        Assert.That(cases["uio"]["RESULT"], Is.EqualTo("fail"), "ERROR could not measure: a failure");
    }

    [Test]
    public void Names_with_spaces_or_markup_become_ids_LAVA_takes() =>
        Assert.That(LavaWriter.Id("My card <x> run 1"), Is.EqualTo("My_card__x__run_1"));

    [Test]
    public void Report_with_lava_prints_the_lines_of_the_run()
    {
        var dir = Directory.CreateTempSubdirectory("validate-lava-");
        try
        {
            var path = Path.Combine(dir.FullName, "results.json");
            ReportTests.Sample().Write(path);
            var run = Cli.Run(TimeSpan.FromMinutes(2), "report", dir.FullName, "--lava");
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(run.Stdout, Does.Contain("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=msi-cpu RESULT=fail>"));
            var without = Cli.Run(TimeSpan.FromMinutes(2), "report", dir.FullName);
            Assert.That(without.Stdout, Does.Not.Contain("LAVA_SIGNAL"), "behind the flag only");
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
