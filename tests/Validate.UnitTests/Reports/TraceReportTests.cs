using System.Text.RegularExpressions;
using System.Xml.Linq;
using NUnit.Framework;
using Validate.Reports.Html;
using Validate.Results;

namespace Validate.UnitTests.Reports;

/// <summary>
/// A traced suite in the report: "Where the time went (kernel trace)" with what the trace matched, its stages,
/// valirq's stamps against the trace in words, the worst events with their stages, timeline (SVG drawn by
/// hand) and raw window; the console's two lines; everything escaped; the lab's real results render.
/// </summary>
public class TraceReportTests
{
    private const string Evil = "<script>alert('x')</script>";

    private static StageResult Stage(string name, long p50, long p99, long p999, long max) =>
        new(name, 2000, p50 / 2, p50, (p50 + p99) / 2, p99, p999, p999, max, p50, p50 / 4, 0, 1_000_000_000, [], []);

    /// <summary>A valirq trace as the analysis writes it: five stages, the check, one worst event over two CPUs.</summary>
    internal static TraceResult Trace(string task = "stress-ng-cpu", bool within = true) => new()
    {
        Irqs = [28],
        IrqThreads = ["irq/28-valirq-0"],
        MeasuringTid = 247,
        Samples = 2000,
        Matched = 1990,
        Events = 34250,
        BufferKb = 16384,
        Stages =
        [
            Stage("raise-hardirq", 12_023, 29_463, 153_393, 279_983), Stage("hardirq-thread", 62_000, 133_000, 250_000, 298_000),
            Stage("thread-wakeup", 13_000, 24_000, 60_000, 66_000), Stage("wakeup-running", 16_000, 36_000, 90_000, 97_000),
            Stage("running-user", 83_747, 176_057, 700_000, 737_687),
        ],
        Check = new TraceCheck(2000, 2_627, 6_447, 92_047, -8_067, 15_697, 60_677, 50_000, within, HardirqP95Ns: 4_100, ThreadP95Ns: 12_300),
        Thresholds = new() { ["total"] = 500_000 },
        Crossed = 8,
        Notes = ["10 of 2000 samples have no hard IRQ or no wake-up of the measuring thread in the trace"],
        Worst =
        [
            new TracedEvent(58_931_276_487, 952_200, "total 952.2 us > 500.0 us",
                [
                    new TracedStage("raise-hardirq", 0, 77_513, 1, [new TraceActivity(1, "task", "measure-valirq-", 247, 19, 77_513)], null, null),
                    new TracedStage("hardirq-thread", 77_513, 72_000, 1,
                        [new TraceActivity(1, "irq", "236 (local_timer)", -1, -1, 50_000), new TraceActivity(1, "task", task, 900, 19, 500_000),
                         new TraceActivity(1, "softirq", "SCHED", -1, -1, 3_000), new TraceActivity(1, "task", "kworker/1:1", 33, 120, 1_000)],
                        $"{task} (pid 900, prio 19) ran 500.0 us of it on CPU 1", "the thread it waited for (prio 49) was outranked by " + task),
                    new TracedStage("thread-wakeup", 149_513, 44_000, 1, [new TraceActivity(1, "task", "irq/28-valirq-0", 248, 49, 44_000)], null, null),
                    new TracedStage("wakeup-running", 193_513, 21_000, 0, [new TraceActivity(0, "task", "swapper/0", 0, 120, 21_000)], null, null),
                    new TracedStage("running-user", 214_513, 737_687, 0, [new TraceActivity(0, "task", "measure-valirq-", 247, 19, 737_687)], null, null),
                ],
                $"{task} (pid 900, prio 19) ran 500.0 us of it on CPU 1",
                $"to user 952.2 us (total 952.2 us > 500.0 us); the longest stage, running-user, took 737.7 us: {task} ran.",
                "traces/msi-idle-worst-1.txt",
                [
                    new TimelineSegment(1, -95_220, -42_487, "idle", "swapper/1-0"),
                    new TimelineSegment(1, -42_487, 149_513, "task", $"{task}-900"),
                    new TimelineSegment(1, 77_513, 88_513, "irq", "irq 28 valirq-0000:00:04.0"),
                    new TimelineSegment(1, 149_513, 214_513, "task", "irq/28-valirq-0-248"),
                    new TimelineSegment(1, 214_513, 300_000, "softirq", "softirq SCHED"),
                    new TimelineSegment(0, -95_220, 193_513, "idle", "swapper/0-0"),
                    new TimelineSegment(0, 193_513, 1_047_420, "task", "measure-valirq--247"),
                ]),
        ],
    };

    private static RunResults Traced(TraceResult? trace = null)
    {
        var r = ReportTests.Sample();
        r.Suites[0].Trace = trace ?? Trace();
        return r;
    }

    /// <summary>The trace's subsection of the suite named <paramref name="suite"/>: from its heading to the end of the suite's section.</summary>
    private static string Section(string html, string suite)
    {
        var start = html.IndexOf($"id=\"suite-{suite}\"", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThan(0), suite);
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        var body = html[start..end];
        var heading = body.IndexOf("Where the time went (kernel trace)", StringComparison.Ordinal);
        return heading < 0 ? "" : body[heading..];
    }

    [Test]
    public void A_traced_suite_has_the_section_with_what_the_trace_matched_and_its_stages_in_order()
    {
        var trace = Section(HtmlReport.Render(Traced()), "msi-idle");
        Assert.That(trace, Does.Contain("The trace matched 1990 of 2000 samples (34250 events, none overwritten); IRQ 28, IRQ thread irq/28-valirq-0; " +
                                        "trace clock mono (CLOCK_MONOTONIC, the harness&#39;s clock), 1.0 us resolution."));
        var rows = Regex.Matches(trace, "<tr><td>([a-z-]+)</td><td class=\"n\">(\\d+)</td><td class=\"n\">([^<]+)</td><td class=\"n\">([^<]+)</td><td class=\"n\">([^<]+)</td><td class=\"n\">([^<]+)</td></tr>")
            .Select(m => string.Join(" | ", m.Groups.Values.Skip(1).Select(g => g.Value))).ToList();
        Assert.That(rows, Is.EqualTo(new[]
        {
            "raise-hardirq | 2000 | 12.0 us | 29.5 us | 153.4 us | 280.0 us",
            "hardirq-thread | 2000 | 62.0 us | 133.0 us | 250.0 us | 298.0 us",
            "thread-wakeup | 2000 | 13.0 us | 24.0 us | 60.0 us | 66.0 us",
            "wakeup-running | 2000 | 16.0 us | 36.0 us | 90.0 us | 97.0 us",
            "running-user | 2000 | 83.7 us | 176.1 us | 700.0 us | 737.7 us",
        }));
        Assert.That(trace, Does.Contain("10 of 2000 samples have no hard IRQ"), "the notes");
    }

    [TestCase(true, "within the 50.0 us bound. (bound: p95 50.0 us, median 5.0 us)")]
    [TestCase(false, "OUTSIDE the 50.0 us bound. (bound: p95 50.0 us, median 5.0 us)")]
    public void Valirqs_stamps_against_the_trace_read_as_a_sentence(bool within, string end)
    {
        var words = "valirq&#39;s own stamps against the trace over 2000 samples: hard IRQ p50 +2.6 us, p95 4.1 us, p99 6.4 us, max 92.0 us; " +
                    $"IRQ thread p50 -8.1 us, p95 12.3 us, p99 15.7 us, max 60.7 us; {end}";
        var trace = Section(HtmlReport.Render(Traced(Trace(within: within))), "msi-idle");
        Assert.That(trace, Does.Contain($"<p class=\"check {(within ? "within" : "outside")}\">{words}"));
    }

    [Test]
    public void The_worst_events_show_their_words_stages_what_ran_there_and_raw_window()
    {
        var trace = Section(HtmlReport.Render(Traced()), "msi-idle");
        Assert.That(trace, Does.Contain("Worst events (8 crossed a threshold: total &gt; 500.0 us; the 1 worst analysed)"));
        Assert.That(trace, Does.Contain("<p><b>1.</b> At 58.931276 s (CLOCK_MONOTONIC): to user 952.2 us (total 952.2 us &gt; 500.0 us); the longest stage, running-user, took 737.7 us: stress-ng-cpu ran.</p>"));
        // The top three activities, longest first, and how many more; the cause and the priority note.
        Assert.That(trace, Does.Contain("<td>hardirq-thread</td><td class=\"n\">77.5 us</td><td class=\"n\">72.0 us</td><td class=\"n\">1</td>"));
        Assert.That(trace, Does.Contain(">stress-ng-cpu 500.0 us, IRQ 236 (local_timer) 50.0 us, softirq SCHED 3.0 us, +1 more</td><td>stress-ng-cpu (pid 900, prio 19) ran 500.0 us of it on CPU 1</td><td>the thread it waited for (prio 49) was outranked by stress-ng-cpu</td>"));
        Assert.That(trace, Does.Contain("<tr class=\"longest\"><td>running-user</td>"), "the longest stage stands out");
        Assert.That(trace, Does.Contain("raw trace window: traces/msi-idle-worst-1.txt"));
        Assert.That(Regex.Count(trace, "<svg class=\"tl\""), Is.EqualTo(1), "a timeline per worst event");
    }

    [Test]
    public void The_timeline_has_a_row_per_cpu_a_bar_per_segment_and_a_line_per_stage_boundary()
    {
        var ev = Trace().Worst[0];
        var svg = XElement.Parse(TraceTimeline.Svg(ev));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.That((string?)svg.Attribute("width"), Is.EqualTo("900"));
        var rows = svg.Elements(ns + "g").Where(g => (string?)g.Attribute("class") == "cpu-row").ToList();
        Assert.That(rows.Select(r => (string?)r.Attribute("data-cpu")), Is.EqualTo(new[] { "0", "1" }), "a row per CPU, in order");
        var bars = rows.SelectMany(r => r.Elements(ns + "rect").Where(b => ((string?)b.Attribute("class"))?.StartsWith("seg ", StringComparison.Ordinal) == true)).ToList();
        Assert.That(bars, Has.Count.EqualTo(ev.Timeline.Count), "a bar per segment");
        Assert.That(rows[0].Elements(ns + "rect").Count(b => (string?)b.Attribute("class") is "seg idle" or "seg task"), Is.EqualTo(2), "CPU 0's two segments in CPU 0's row");
        // Coloured by kind; the handler drawn over the task it interrupted, with its tooltip.
        var irq = bars.Single(b => (string?)b.Attribute("class") == "seg irq");
        Assert.That((string?)irq.Attribute("fill"), Is.EqualTo(TraceTimeline.Colours["irq"].Fill));
        Assert.That((string?)bars.First(b => (string?)b.Attribute("class") == "seg idle").Attribute("fill"), Is.EqualTo(TraceTimeline.Colours["idle"].Fill));
        Assert.That(irq.Element(ns + "title")!.Value, Is.EqualTo("irq 28 valirq-0000:00:04.0 (irq) on CPU 1: 11.0 us, +77.5 us to +88.5 us from the raise"));
        Assert.That(rows[1].Elements(ns + "rect").Select(b => (string?)b.Attribute("class")).Last(), Is.EqualTo("seg softirq"), "handlers after (over) the tasks");
        // x: the window is -95.22 us to 1047.42 us over 900 - 58 - 14 px.
        var x0 = 58 + (77_513 + 95_220) * 828.0 / (1_047_420 + 95_220);
        Assert.That(double.Parse((string)irq.Attribute("x")!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(x0).Within(0.1));
        // The stage boundaries: a line at each stage's start and where the last ends, labelled.
        var stages = svg.Elements(ns + "g").Where(g => (string?)g.Attribute("class") == "stage").ToList();
        Assert.That(stages.Select(g => g.Element(ns + "text")!.Value), Is.EqualTo(new[] { "raise-hardirq", "hardirq-thread", "thread-wakeup", "wakeup-running", "running-user", "user" }));
        Assert.That(stages.All(g => g.Element(ns + "line") is { } l && (string?)l.Attribute("x1") == (string?)l.Attribute("x2")), "vertical lines");
        // The axis in microseconds from the raise: 0 is on it.
        var axis = svg.Elements(ns + "g").Single(g => (string?)g.Attribute("class") == "axis");
        Assert.That(axis.Elements(ns + "text").Select(t => t.Value), Does.Contain("0").And.Contain("us from the raise"));
    }

    [Test]
    public void Crafted_names_in_the_trace_render_as_text()
    {
        var t = Trace(task: Evil) with { IrqThreads = [Evil], Notes = [Evil] };
        t.Worst[0] = t.Worst[0] with { File = Evil };
        var html = HtmlReport.Render(Traced(t));
        Assert.That(html, Does.Not.Contain("<script").IgnoreCase, "no script element at all");
        var trace = Section(html, "msi-idle");
        Assert.That(Regex.Count(trace, "&lt;script&gt;alert\\(&#39;x&#39;\\)&lt;/script&gt;"), Is.GreaterThanOrEqualTo(8),
            "the IRQ thread, the note, the words, the activities and the cause, the tooltip, the bar's label and its title, the file");
        Assert.DoesNotThrow(() => XElement.Parse(TraceTimeline.Svg(t.Worst[0])), "still well-formed");
    }

    [Test]
    public void A_suite_without_trace_has_no_trace_section_and_an_untraced_one_says_why()
    {
        var html = HtmlReport.Render(ReportTests.Sample());
        Assert.That(html, Does.Not.Contain("Where the time went"));
        Assert.That(html, Does.Not.Contain("<svg"));
        var untraced = Traced(new TraceResult { Notes = ["not traced: tracefs is not mounted"] });
        var trace = Section(HtmlReport.Render(untraced), "msi-idle");
        Assert.That(trace, Does.Contain("<p class=\"banner warn\">not traced: tracefs is not mounted</p>"));
        Assert.That(trace, Does.Not.Contain("<table"));
        Assert.That(Section(HtmlReport.Render(untraced), "msi-cpu"), Is.Empty, "only the traced suite");
    }

    [Test]
    public void The_console_says_the_trace_in_two_lines_under_the_suite()
    {
        Assert.That(TraceSection.SummaryLines(Trace()), Is.EqualTo(new[]
        {
            "trace: raise-hardirq p50 12.0 us / p99 29.5 us, hardirq-thread p50 62.0 us / p99 133.0 us, thread-wakeup p50 13.0 us / p99 24.0 us, " +
            "wakeup-running p50 16.0 us / p99 36.0 us, running-user p50 83.7 us / p99 176.1 us (1990/2000 matched)",
            "worst: to user 952.2 us (total 952.2 us > 500.0 us); the longest stage, running-user, took 737.7 us: stress-ng-cpu ran.",
        }));
        Assert.That(TraceSection.SummaryLines(Trace(within: false))[0], Does.EndWith("(1990/2000 matched); valirq's stamps OUTSIDE the 50.0 us bound"));
        Assert.That(TraceSection.SummaryLines(new TraceResult { Notes = ["not traced: tracefs is not mounted"] }), Is.EqualTo(new[] { "not traced: tracefs is not mounted" }));
        Assert.That(TraceSection.SummaryLines(Trace() with { Worst = [], Crossed = 0 })[1], Is.EqualTo("worst: none crossed total > 500.0 us"));
    }

    /// <summary>The virtual lab's results (two traced suites; stage distributions trimmed to keep the file small), read and rendered.</summary>
    [Test]
    public void The_labs_traced_results_render_with_a_timeline_per_worst_event()
    {
        var r = RunResults.Read(Path.Combine(AppContext.BaseDirectory, "TestData", "traced-results.json"));
        var html = HtmlReport.Render(r);
        Assert.That(Regex.Count(html, "Where the time went \\(kernel trace\\)"), Is.EqualTo(2));
        var svgs = Regex.Matches(html, "<svg class=\"tl\".*?</svg>").Select(m => m.Value).ToList();
        Assert.That(svgs, Has.Count.EqualTo(6), "3 worst events of each suite");
        foreach (var svg in svgs) Assert.DoesNotThrow(() => XElement.Parse(svg));
        Assert.That(svgs.Sum(s => s.Length), Is.LessThan(60_000), "the timelines stay light");
        var valirq = Section(html, "valirq-msi-idle");
        Assert.That(valirq, Does.Contain("hard IRQ p50 +2.6 us, p95 4.2 us, p99 6.4 us, max 92.0 us; IRQ thread p50 +8.1 us, p95 13.0 us, p99 15.7 us, max 60.7 us; within the 50.0 us bound. (bound: p95 50.0 us, median 5.0 us)"));
        Assert.That(Section(html, "uio-idle"), Does.Contain("Worst events (31 crossed a threshold: total &gt; 500.0 us; the 3 worst analysed)").And.Not.Contain("valirq&#39;s own stamps"));
        Assert.That(TraceSection.SummaryLines(r.Suites[0].Trace!), Is.EqualTo(new[]
        {
            "trace: raise-hardirq p50 12.0 us / p99 29.5 us, hardirq-thread p50 62.0 us / p99 133.0 us, thread-wakeup p50 13.0 us / p99 24.0 us, " +
            "wakeup-running p50 16.0 us / p99 36.0 us, running-user p50 83.7 us / p99 176.1 us (2000/2000 matched)",
            "worst: to user 952.2 us (total 952.2 us > 500.0 us); the longest stage, running-user, took 737.7 us: irq/28-valirq-0 (pid 248, prio 19) ran 658.0 us of it on CPU 1.",
        }));
    }
}
