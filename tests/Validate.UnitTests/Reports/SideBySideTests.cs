using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Reports.Html;
using Validate.Reports.Plots;
using Validate.Results;

namespace Validate.UnitTests.Reports;

/// <summary>
/// Side by side: latency suites of one run grouped by card and load (docs/results.md, <c>comparisons</c>),
/// one table and one percentile plot per group in the report.
/// </summary>
public class SideBySideTests
{
    private const string Card = "0000:00:03.0";
    private const string Other = "0000:00:04.0";

    private static StageResult Stage(string name, long scale) =>
        new(name, 1000, scale, 10 * scale, 20 * scale, 30 * scale, 40 * scale, 50 * scale, 60 * scale, 12 * scale, scale, 0,
            1_000_000_000, [60 * scale], [new DistributionPoint(10 * scale, 50, 500)], [[10 * scale, 1000]]);

    private static readonly string[] ValirqStages = ["raise-hardirq", "hardirq-thread", "thread-user", "total"];
    private static readonly string[] UioStages = ["total"];
    private static readonly string[] VfioStages = ["raise-user", "user-done", "total"];

    /// <summary>A latency suite as the engine writes it: its card found (address and ids), its load, its stages.</summary>
    private static SuiteResult Suite(string name, string backend, string mode, string load, string? card, string[] stages, long scale = 1000, long lost = 0) => new()
    {
        Name = name, Backend = backend, Mode = mode, Verdict = Verdict.Pass,
        CardAddress = card, CardId = card is null ? null : "8086:10d3",
        Load = new LoadInfo(load, null, []),
        Counts = new SuiteCounts(1000, 1000, 1000, 1000, 1000, lost, 0, 0, 0, 0, null, 1000, 0, 0),
        Stages = [.. stages.Select((s, i) => Stage(s, scale * (i + 1)))],
    };

    private static List<SuiteResult> Run() =>
    [
        Suite("valirq-msi-idle", "valirq", "msi", "idle", Card, ValirqStages),
        Suite("uio-intx-idle", "uio", "intx", "idle", Card, UioStages, scale: 2000, lost: 3),
        Suite("vfio-msix-idle", "vfio", "msix", "idle", Card, VfioStages, scale: 3000),
        Suite("valirq-msi-cpu", "valirq", "msi", "cpu", Card, ValirqStages),
        Suite("uio-intx-cpu", "uio", "intx", "cpu", Card, UioStages),
        Suite("valirq-msi-flood", "valirq", "msi", "irq-flood", Card, ValirqStages),
        Suite("other-card-idle", "valirq", "msi", "idle", Other, ValirqStages),
        Suite("timer-idle", "timer", "clock-nanosleep", "idle", null, UioStages),
        Suite("timer-idle-2", "timer", "clock-nanosleep", "idle", null, UioStages),
    ];

    [Test]
    public void Suites_of_the_same_card_and_load_are_grouped_and_a_different_load_or_card_is_not()
    {
        var groups = SideBySide.Compare(Run());
        Assert.That(groups.Select(g => (g.Card, g.Load)), Is.EqualTo(new[] { (Card, "idle"), (Card, "cpu") }),
            "idle and cpu apart; irq-flood (one suite) and the other card (one suite) make no group");
        Assert.That(groups[0].Rows.Select(r => r.Suite), Is.EqualTo(new[] { "valirq-msi-idle", "uio-intx-idle", "vfio-msix-idle" }));
        Assert.That(groups[1].Rows.Select(r => r.Suite), Is.EqualTo(new[] { "valirq-msi-cpu", "uio-intx-cpu" }));
        Assert.That(groups[0].CardId, Is.EqualTo("8086:10d3"));
    }

    [Test]
    public void Timer_suites_take_no_part_even_two_under_one_load()
    {
        var timers = Run().Where(s => s.Backend == "timer").Select(s => s with { CardAddress = Card }).ToList();
        Assert.That(SideBySide.Compare(timers), Is.Empty);
    }

    [Test]
    public void A_single_suite_makes_no_group()
    {
        Assert.That(SideBySide.Compare([Suite("valirq-msi-idle", "valirq", "msi", "idle", Card, ValirqStages)]), Is.Empty);
    }

    [Test]
    public void An_older_results_file_without_the_card_address_groups_by_the_card_fact()
    {
        var old = Run().Take(2).Select(s => s with { CardAddress = null, CardId = null, Facts = new() { ["card"] = $"{Card} 8086:10d3 rev 00" } }).ToList();
        var g = SideBySide.Compare(old).Single();
        Assert.That((g.Card, g.CardId, g.Rows.Count), Is.EqualTo((Card, "8086:10d3", 2)));
    }

    [Test]
    public void A_row_has_count_lost_the_total_and_each_stage_of_its_backend_and_the_columns_are_every_stage_but_total()
    {
        var g = SideBySide.Compare(Run())[0];
        Assert.That(g.Stages, Is.EqualTo(new[] { "raise-hardirq", "hardirq-thread", "thread-user", "raise-user", "user-done" }));
        var uio = g.Rows[1];
        Assert.That((uio.Interface, uio.Count, uio.Lost), Is.EqualTo(("uio intx", 1000L, 3L)));
        Assert.That(uio.Total, Is.EqualTo(new TotalLatency(20_000, 40_000, 60_000, 80_000, 100_000, 120_000)), "uio's only stage, total, scale 2000");
        Assert.That(uio.Stages, Is.Empty, "uio has no stage but total");
        var vfio = g.Rows[2];
        Assert.That(vfio.Stage("raise-user"), Is.EqualTo(new StageSummary("raise-user", 30_000, 90_000)));
        Assert.That(vfio.Stage("thread-user"), Is.Null, "a valirq stage is blank for vfio");
        Assert.That(vfio.Total!.P999Ns, Is.EqualTo(9000 * 40), "total is vfio's third stage: scale 3000 x 3");
    }

    [Test]
    public void The_report_has_one_table_and_one_percentile_plot_per_group_with_a_line_per_interface()
    {
        var run = ReportTests.Sample();
        run.Suites.Clear();
        run.Suites.AddRange(Run());
        var html = HtmlReport.Render(run);
        var section = html[html.IndexOf("<section id=\"side-by-side\">", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("</section>", StringComparison.Ordinal)];
        Assert.That(Regex.Count(section, "<table class=\"sbs\">"), Is.EqualTo(2));
        Assert.That(Regex.Count(section, "<img alt=\"side by side: [^\"]+\" src=\"data:image/png;base64,"), Is.EqualTo(2));
        Assert.That(section, Does.Contain($"{Card} (8086:10d3), load idle").And.Contain($"{Card} (8086:10d3), load cpu"));
        Assert.That(section, Does.Contain("<th>raise-user p50 / p99</th>"));
        // The uio row: count, lost 3, extra 0, to user and total 20/60/80/120 us, then five blank stage cells.
        Assert.That(section, Does.Match(@"<tr><td>uio intx</td>.*?<td class=""n"">1000</td><td class=""n"">3</td><td class=""n"">0</td>(<td class=""n"">[^<]+</td>){8}(<td></td>){5}</tr>"));
        Assert.That(section, Does.Not.Contain("timer"));
        var lines = SideBySidePlots.Series(SideBySide.Compare(Run())[0]);
        Assert.That(lines.Select(l => l.Label), Is.EqualTo(new[] { "valirq msi", "uio intx", "vfio msix" }));
        Assert.That(lines[1].Ys, Is.EqualTo(new[] { 20.0, 40, 60, 80, 100 }), "p50 ... p99.99 of uio's total, in us");
        Assert.That(lines[1].Xs, Is.EqualTo(new[] { Math.Log10(2), 1, 2, 3, 4 }).Within(1e-9), "log tail axis: 50, 90, 99, 99.9, 99.99");
        Assert.That(lines[2].Ys, Is.EqualTo(new[] { 30.0, 60, 90, 120, 150 }), "vfio's line is its raise-user (first stage, scale 3000), not its total");
    }

    [TestCase("valirq", "total")]
    [TestCase("uio", "total")]
    [TestCase("vfio", "raise-user")]
    public void To_user_is_the_stage_that_ends_at_the_user_wake_up(string backend, string stage)
    {
        var s = Run().First(x => x.Backend == backend);
        Assert.That(SideBySide.ToUserStage(s)?.Name, Is.EqualTo(stage));
        var row = SideBySide.Row(s);
        Assert.That(row.ToUserStage, Is.EqualTo(stage));
        var st = s.Stages.Single(x => x.Name == stage);
        Assert.That(row.ToUser, Is.EqualTo(new TotalLatency(st.P50Ns, st.P90Ns, st.P99Ns, st.P999Ns, st.P9999Ns, st.MaxNs)));
    }

    [Test]
    public void A_backend_without_a_to_user_stage_has_none_and_no_line()
    {
        var row = SideBySide.Row(Suite("dpdk-msi-idle", "dpdk", "msi", "idle", Card, UioStages));
        Assert.That((row.ToUserStage, row.ToUser), Is.EqualTo(((string?)null, (TotalLatency?)null)));
        Assert.That(row.Total, Is.Not.Null, "its own total is still shown");
    }

    [Test]
    public void A_report_without_a_group_has_no_side_by_side_section()
    {
        Assert.That(HtmlReport.Render(ReportTests.Sample()), Does.Not.Contain("side-by-side"));
    }

    [Test]
    public void Results_json_carries_the_comparisons_and_the_suite_card_and_reads_back()
    {
        var run = ReportTests.Sample();
        run.Suites.Clear();
        run.Suites.AddRange(Run());
        var json = JsonSerializer.Serialize(run, RunResults.Json);
        using var doc = JsonDocument.Parse(json);
        var comparisons = doc.RootElement.GetProperty("comparisons");
        Assert.That(comparisons.GetArrayLength(), Is.EqualTo(2));
        var first = comparisons[0];
        Assert.That(first.GetProperty("card").GetString(), Is.EqualTo(Card));
        Assert.That(first.GetProperty("load").GetString(), Is.EqualTo("idle"));
        Assert.That(first.GetProperty("rows")[1].GetProperty("total").GetProperty("p99Ns").GetInt64(), Is.EqualTo(60_000));
        Assert.That(doc.RootElement.GetProperty("suites")[0].GetProperty("cardAddress").GetString(), Is.EqualTo(Card));
        var back = JsonSerializer.Deserialize<RunResults>(json, RunResults.Json)!;
        Assert.That(back.Comparisons.Select(c => c.Load), Is.EqualTo(new[] { "idle", "cpu" }));
    }
}
