using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using NUnit.Framework;
using Validate.Platform;
using Validate.Plans;
using Validate.Reports.Html;
using Validate.Reports.Junit;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.Reports;

/// <summary>The report escapes what it is given, draws from results alone, and its JUnit XML is valid.</summary>
public class ReportTests
{
    private const string Evil = "<script>alert('x')</script>";

    /// <summary>A run as the engine would write it: a valirq suite that passed, one that failed, one skipped.</summary>
    internal static RunResults Sample(string planName = "edu", string hostname = "lab-1", int samples = 1000)
    {
        StageResult Stage(string name, long scale)
        {
            var hist = Enumerable.Range(1, 50).Select(i => new long[] { i * scale, samples / 50 }).ToList();
            var dist = new[] { 0.0, 50, 90, 99, 99.9 }.Select((p, i) => new DistributionPoint((i + 1) * scale * 10, p, (long)(samples * p / 100))).ToList();
            return new StageResult(name, samples, scale, 25 * scale, 45 * scale, 50 * scale, 50 * scale, 50 * scale, 50 * scale, 25 * scale, 3 * scale, 0,
                1_000_000_000, [40 * scale, 50 * scale, 30 * scale], dist, hist);
        }
        SuiteResult Suite(string name, Verdict v, string message) => new()
        {
            Name = name, Backend = "valirq", Mode = "msi", Verdict = v, Message = message,
            Counts = new SuiteCounts(samples, samples, samples, samples, samples, v == Verdict.Fail ? 2 : 0, 0, 0, 0, 0, null, samples, 0, 0),
            Measurement = new MeasurementInfo(DateTime.UtcNow, 2.5, 1, 0, 0, 0, 0, true, 100),
            Stages = { Stage("raise-hardirq", 1000), Stage("hardirq-thread", 2000), Stage("thread-user", 3000), Stage("total", 6000) },
            Limits = { new LimitResult("total", "p99", 400_000, 300_000, v == Verdict.Fail ? Verdict.Fail : Verdict.Pass, "total p99 300.0 us <= 400.0 us") },
            Worst = { new WorstEvent(123_456_789, [1, 2, 3, 6]) },
        };
        var env = SystemSnapshot.Capture() with { Hostname = hostname, VirtualLab = true, VirtualLabTopology = "shared-intx" };
        return new RunResults
        {
            RunId = "run-1",
            StartedUtc = DateTime.UtcNow.AddMinutes(-3),
            EndedUtc = DateTime.UtcNow,
            Plan = new PlanInfo("testplans/qemu/edu.json", planName, "d", $"{planName} 1234:11e8", null),
            Environment = env,
            Realtime = new ProcessRealtime(true, 1000, true, []),
            Suites = { Suite("msi-idle", Verdict.Pass, "all limits met"), Suite("msi-cpu", Verdict.Fail, "2 interrupts lost (limit 0)"), new SuiteResult { Name = "uio", Backend = "uio", Mode = "intx", Verdict = Verdict.Skipped, Message = "no uio" } },
            Verdict = Verdict.Fail,
        };
    }

    [Test]
    public void A_crafted_plan_with_script_in_its_names_renders_as_text()
    {
        var dir = Directory.CreateTempSubdirectory("validate-report-evil-");
        try
        {
            // The names come from a real plan file, through the loader, as in a run.
            var json = File.ReadAllText(Path.Combine(Cli.Layout.Root, "testplans", "generic", "timer.json"))
                .Replace("\"timer latency (any machine)\"", $"\"{Evil}\"", StringComparison.Ordinal)
                .Replace("\"none (timer only)\"", $"\"{Evil}\"", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir.FullName, "evil.json"), json);
            File.Copy(Path.Combine(Cli.Layout.Root, "testplans", "defaults.json"), Path.Combine(dir.FullName, "defaults.json"));
            var plan = PlanLoader.Load(Path.Combine(dir.FullName, "evil.json"), cpuCount: 2);
            Assert.That(plan.Name, Is.EqualTo(Evil));
            var run = Sample(plan.Name, hostname: Evil);
            var html = HtmlReport.Render(run);
            Assert.That(html, Does.Not.Contain("<script").IgnoreCase, "no script element at all");
            Assert.That(html, Does.Contain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Test]
    public void The_report_is_self_contained_and_has_the_header_tables_and_plots()
    {
        var html = HtmlReport.Render(Sample());
        Assert.That(html, Does.Not.Match("(src|href)=\"(https?:)?//"), "no external resource");
        Assert.That(html, Does.Contain("Virtual lab (emulated)"));
        Assert.That(html, Does.Contain("1 pass, 0 marginal, 1 fail, 1 skipped"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(html, "<img alt=\"[^\"]+\" src=\"data:image/png;base64,"), Is.EqualTo(6), "3 plots for each measured suite");
        Assert.That(html, Does.Contain("2 interrupts lost (limit 0)").And.Contain("worst events"));
    }

    [Test]
    public void The_junit_xml_validates_against_the_junit_schema_with_stable_names()
    {
        var doc = JunitWriter.Render(Sample(planName: Evil));
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Path.Combine(AppContext.BaseDirectory, "TestData", "junit.xsd"));
        var errors = new List<string>();
        doc.Validate(schemas, (_, e) => errors.Add(e.Message));
        Assert.That(errors, Is.Empty);
        var cases = doc.Descendants("testcase").Select(c => (string)c.Attribute("name")!).ToList();
        Assert.That(cases, Is.EqualTo(new[] { "msi-idle", "msi-idle.total", "msi-cpu", "msi-cpu.total", "uio" }));
        var failure = doc.Descendants("testcase").Single(c => (string)c.Attribute("name")! == "msi-cpu").Element("failure")!;
        Assert.That((string)failure.Attribute("message")!, Does.Contain("2 interrupts lost"));
        Assert.That(failure.Value, Does.Contain("p99 300000"), "the failure text carries the numbers");
        Assert.That(doc.Descendants("testcase").Single(c => (string)c.Attribute("name")! == "uio").Element("skipped"), Is.Not.Null);
        // Round trip through text, as CI reads it.
        Assert.DoesNotThrow(() => XDocument.Parse(doc.ToString()));
    }
}
