using System.Text.Json;
using NUnit.Framework;
using Validate.Analysis;
using Validate.Faults;
using Validate.Reports.Html;
using Validate.Results;

namespace Validate.UnitTests.Reports;

/// <summary>What valirq's release did, per repetition and summed per suite: in results.json and in the report's fault section.</summary>
public class FaultReleaseReportTests
{
    private static RunResults WithFaultSuite()
    {
        var r = ReportTests.Sample();
        var parts = new Dictionary<string, long> { ["exit"] = 5_000_000, ["start"] = 80_000_000, ["setup"] = 100_000_000, ["first-irq"] = 2_000_000, ["total"] = 187_000_000 };
        var fr = new FaultResult
        {
            Kind = "kill-in-handler", Driver = "card-aot", Program = "artifacts/drivers/card-aot/validate-card-driver", Mode = "msi", RepetitionsPlanned = 3,
            ReleasePolicy = "quiesce-then-reset",
            Repetitions =
            {
                new FaultRepetition(1, 1000, [new TimelineEvent("SIGKILL", 0), new TimelineEvent("first interrupt", 187_000_000)], parts, [], ReleaseOutcome.Quiesced),
                new FaultRepetition(2, 2000, [new TimelineEvent("SIGKILL", 0), new TimelineEvent("first interrupt", 187_000_000)], parts, [], ReleaseOutcome.Reset),
                new FaultRepetition(3, 3000, [new TimelineEvent("SIGKILL", 0), new TimelineEvent("first interrupt", 187_000_000)], parts, [], ReleaseOutcome.Neither),
            },
            Accounting = new FaultCounts(100, 90, 100, 0, 0, 0, 0, 0, 0, []),
        };
        var findings = FaultVerdict.ReleaseFindings(fr.Kind, fr.ReleasePolicy!, fr);
        _ = FaultVerdict.MismatchFinding("msi", 4, fr);
        var suite = new SuiteResult
        {
            Name = "fault-kill-in-handler-msi-aot", Backend = "valirq", Mode = "msi", Verdict = Verdict.Fail, Message = string.Join("; ", findings),
            Stages = { StageStatistics.Exact("total", [187_000_000, 187_000_000, 187_000_000]) },
            Fault = fr,
        };
        r.Suites.Add(suite);
        return r;
    }

    [Test]
    public void Results_json_has_each_repetitions_release_the_suites_sums_policy_and_explanations()
    {
        var json = JsonSerializer.Serialize(WithFaultSuite(), RunResults.Json);
        using var doc = JsonDocument.Parse(json);
        var fault = doc.RootElement.GetProperty("suites")[3].GetProperty("fault");
        Assert.That(fault.GetProperty("releasePolicy").GetString(), Is.EqualTo("quiesce-then-reset"));
        var rel = fault.GetProperty("release");
        Assert.That((rel.GetProperty("quiesced").GetInt64(), rel.GetProperty("reset").GetInt64(), rel.GetProperty("neither").GetInt64(), rel.GetProperty("none").GetInt64(), rel.GetProperty("unobserved").GetInt64()),
            Is.EqualTo((1L, 1L, 1L, 0L, 0L)));
        Assert.That(fault.GetProperty("repetitions").EnumerateArray().Select(x => x.GetProperty("release").GetString()), Is.EqualTo(new[] { "quiesced", "reset", "neither" }));
        Assert.That(fault.GetProperty("explained")[0].GetString(), Does.StartWith("4 MSIs valirq's check did not recognise"));
        var back = JsonSerializer.Deserialize<RunResults>(json, RunResults.Json)!;
        Assert.That(back.Suites[3].Fault!.Release, Is.EqualTo(new ReleaseCounts(1, 1, 1, 0, 0)), "read back as written");
    }

    [Test]
    public void The_report_shows_the_release_per_suite_and_per_repetition_and_the_verdict_names_neither()
    {
        var r = WithFaultSuite();
        var html = HtmlReport.Render(r);
        Assert.That(html, Does.Contain("valirq&#39;s release").Or.Contain("valirq's release"));
        Assert.That(html, Does.Contain("policy quiesce-then-reset: 1 quiesced, 1 reset, 1 neither (the card left interrupting)"));
        Assert.That(html, Does.Contain("<th>release</th>"));
        Assert.That(html, Does.Contain("<td>reset</td>").And.Contain("<td>neither</td>"));
        Assert.That(html, Does.Contain("4 MSIs valirq&#39;s check did not recognise").Or.Contain("4 MSIs valirq's check did not recognise"));
        Assert.That(r.Suites[3].Message, Does.Contain("valirq's release left the card interrupting (neither quiesced nor reset) in 1 of 3 repetitions (repetition 3)"));
    }

    [Test]
    public void A_suite_through_vfio_shows_vfio_pcis_release_and_what_it_left_not_valirqs()
    {
        var r = WithFaultSuite();
        var f = r.Suites[3].Fault!;
        r.Suites[3] = r.Suites[3] with
        {
            Backend = "vfio",
            Fault = f with
            {
                ReleasePolicy = "vfio-pci", VfioReset = "no reset: the function has no reset method", VfioChecks = 4, VfioIntxDisabled = 1, VfioBusMasterLeft = 0,
            },
        };
        var html = HtmlReport.Render(r);
        Assert.That(html, Does.Contain("vfio-pci&#39;s release</th><td>no reset: the function has no reset method; after 4 release(s): INTx left disabled 1, bus mastering left on 0, INTx asserted and enabled 0"));
        Assert.That(html, Does.Not.Contain("valirq&#39;s release</th>"));
        Assert.That(html, Does.Contain("clean: bus mastering off, no INTx asserted on an enabled line"));
        var back = JsonSerializer.Deserialize<RunResults>(JsonSerializer.Serialize(r, RunResults.Json), RunResults.Json)!;
        Assert.That((back.Suites[3].Fault!.IsVfio, back.Suites[3].Fault!.VfioIntxDisabled), Is.EqualTo((true, 1)), "read back as written");
    }
}
