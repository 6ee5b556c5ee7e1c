using System.Diagnostics;
using NUnit.Framework;
using Validate.Analysis;
using Validate.Engine;
using Validate.Recording;
using Validate.Reports;
using Validate.Results;

namespace Validate.UnitTests.Reports;

/// <summary>
/// Benchmark, run on demand (not in selftest): report generation for a run with 10 million samples.
/// The samples go through the engine's recorder and summaries as in a run; the time measured is what
/// `validate report` does: read results.json, draw, write report.html and junit.xml.
///   artifacts/bin/Validate.UnitTests/release/Validate.UnitTests --filter "FullyQualifiedName~ReportBenchmark" --output detailed
/// </summary>
[Explicit("benchmark: run on demand"), Category("Benchmark")]
public class ReportBenchmark
{
    [Test]
    public void Report_for_ten_million_samples()
    {
        string[] stages = ["raise-hardirq", "hardirq-thread", "thread-user", "total"];
        var rnd = new Random(42);
        var sw = Stopwatch.StartNew();
        using var rec = new LatencyRecorder(stages, rawPath: null, rawRing: 1024);
        var s = default(Sample);
        for (long i = 0; i < 10_000_000; i++)
        {
            s.TimestampNs = i * 100_000;
            long a = 2_000 + rnd.Next(5_000), b = 20_000 + rnd.Next(30_000), c = 30_000 + rnd.Next(50_000);
            if (rnd.Next(100_000) == 0) c += 2_000_000;
            s.Stages[0] = a; s.Stages[1] = b; s.Stages[2] = c; s.Stages[3] = a + b + c;
            rec.Record(s);
        }
        var recordS = sw.Elapsed.TotalSeconds;
        var run = ReportTests.Sample(samples: 10_000_000);
        var suite = run.Suites[0];
        suite.Stages.Clear();
        suite.Stages.AddRange(StageStatistics.FromRecorders([rec], stages));
        run.Suites.RemoveRange(1, run.Suites.Count - 1);
        var dir = Directory.CreateTempSubdirectory("validate-report-bench-");
        var results = Path.Combine(dir.FullName, "results.json");
        run.Write(results);

        sw.Restart();
        var (html, junit) = ReportWriter.Write(results);
        var reportS = sw.Elapsed.TotalSeconds;
        TestContext.Out.WriteLine($"10,000,000 samples: recorded in {recordS:0.00} s; report (read results, 3 plots, HTML, JUnit) in {reportS:0.00} s; {new FileInfo(html).Length / 1024} KiB HTML");
        Assert.That(reportS, Is.LessThan(5), "report generation for 10 million samples under 5 s");
        dir.Delete(true);
    }
}
