using System.Collections.Concurrent;
using System.Runtime.Loader;
using NUnit.Framework;
using Spectre.Console.Testing;
using Validate.Engine;
using Validate.Plans;
using Validate.Reports.Terminal;

namespace Validate.UnitTests.Terminal;

/// <summary>
/// What `validate run` shows: the runner's events over the wire, then a start line, progress (plain lines at
/// most every interval, or a live display on a terminal) with the run's ETA, an end line with the key numbers.
/// </summary>
public class RunConsoleTests
{
    private static SuitePlan Suite(string name, int count, int rate) =>
        new(name, BackendKind.Valirq, "msi", count, null, rate, [1], 80, LoadProfile.Idle, 100, 1000, 0, 1024, new Limits(0, 0, 0, []));

    private static readonly SuitePlan[] Suites = [Suite("quick", 1000, 500), Suite("long", 10_000, 500)];

    [Test]
    public void Every_event_survives_the_wire_and_platform_text_is_not_taken_for_one()
    {
        object[] events =
        [
            "WARNING: virtual lab",
            new SuiteStarted("quick", 1, 2, "valirq msi, load idle", 5.2, 1000, "samples"),
            new SuiteProgress("quick", 400, 1000, "samples", 1.5, 498.5, 41_000, 120_000, 0),
            new SuiteEnded("quick", 1, 2, "FAIL", "total p99 > limit", "total p50 20 us", 3.1),
        ];
        foreach (var ev in events)
        {
            var line = ev switch
            {
                string s => RunEventWire.Encode(s),
                SuiteStarted s => RunEventWire.Encode(s),
                SuiteProgress p => RunEventWire.Encode(p),
                SuiteEnded e => RunEventWire.Encode(e),
                _ => throw new InvalidOperationException(),
            };
            Assert.That(RunEventWire.Split(line), Is.EqualTo(("", ev)));
            Assert.That(RunEventWire.Split("passed Run (1s)" + line), Is.EqualTo(("passed Run (1s)", ev)), "a line the platform had not ended");
        }
        Assert.That(RunEventWire.Split("  Standard output"), Is.EqualTo(("  Standard output", (object?)null)));
        Assert.That(RunEventWire.Split(RunEventWire.Marker + "{not json"), Is.EqualTo((RunEventWire.Marker + "{not json", (object?)null)));
    }

    [Test]
    public void Plain_output_has_a_start_line_progress_at_most_every_interval_with_the_eta_and_an_end_line()
    {
        var w = new StringWriter();
        var console = new RunConsole.Plain(Suites, verbose: false, TimeSpan.FromSeconds(10), w);
        var t0 = new DateTime(2026, 12, 2, 20, 0, 0, DateTimeKind.Utc);
        console.Render("a note for the log", t0);
        console.Render(new PlatformLine("NUnit Adapter 6.3.1.0: Test execution started"), t0);
        console.Render(new SuiteStarted("quick", 1, 2, "valirq msi, load idle", 5.2, 1000, "samples"), t0);
        console.Render(new SuiteProgress("quick", 100, 1000, "samples", 1, 100, 41_000, 120_000, 0), t0.AddSeconds(1));
        console.Render(new SuiteProgress("quick", 500, 1000, "samples", 11, 500, 42_000, 130_000, 1), t0.AddSeconds(11));
        console.Render(new SuiteEnded("quick", 1, 2, "FAIL", "1 lost (limit 0)", "total p50 20 us, p99 42 us, max 130 us over 999; lost 1, extra 0", 12), t0.AddSeconds(12));
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.EqualTo(new[]
        {
            "[1/2] quick: valirq msi, load idle; planned ~5 s (1000 samples at 500/s)",
            // 11 s for 500: 11 s more for this one, then the long one's plan (3 + 0.2 + 20 s)
            "      quick: 500/1000 samples, 500/s, p99 42.0 us, max 130.0 us, lost 1; run ETA ~34 s",
            "[1/2] quick: FAIL in 12 s: total p50 20 us, p99 42 us, max 130 us over 999; lost 1, extra 0",
            "      1 lost (limit 0)",
        }), "notes and the platform's lines stay in the log without --verbose; the 1 s progress is within the 10 s interval");
    }

    [Test]
    public void Progress_sampled_once_per_plain_line_is_shown_though_it_comes_a_little_early()
    {
        var w = new StringWriter();
        var console = new RunConsole.Plain(Suites, verbose: false, TimeSpan.FromSeconds(10), w);
        var t0 = new DateTime(2026, 12, 2, 20, 0, 0, DateTimeKind.Utc);
        console.Render(new SuiteStarted("quick", 1, 2, "valirq msi, load idle", 5.2, 1000, "samples"), t0);
        console.Render(new SuiteProgress("quick", 100, 1000, "samples", 9.95, 100, 41_000, 120_000, 0), t0.AddSeconds(9.95));
        console.Render(new SuiteProgress("quick", 200, 1000, "samples", 19.9, 100, 41_000, 120_000, 0), t0.AddSeconds(19.9));
        console.Render(new SuiteProgress("quick", 210, 1000, "samples", 21, 10, 41_000, 120_000, 0), t0.AddSeconds(21));
        Assert.That(w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("quick: ", StringComparison.Ordinal) && l.Contains("samples,", StringComparison.Ordinal)),
            Is.EqualTo(2), "a line per 10 s sample, the one a second after it not");
        // The runner samples as often as this console shows: each second live, once per plain line otherwise.
        Assert.That((RunConsole.SampleEvery(true, TimeSpan.FromSeconds(10)), RunConsole.SampleEvery(false, TimeSpan.FromSeconds(10))),
            Is.EqualTo((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10))));
        Assert.That((Validate.Engine.ProgressSampler.IntervalFrom("10000"), Validate.Engine.ProgressSampler.IntervalFrom("5"), Validate.Engine.ProgressSampler.IntervalFrom(null)),
            Is.EqualTo((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))));
    }

    [Test]
    public void The_progress_lines_code_is_compiled_when_the_suite_starts_so_a_line_in_its_window_compiles_nothing()
    {
        // The console's code loaded afresh, in a context of its own: none of it has been compiled yet, whatever
        // other tests ran in this process. Then what `validate run` does: the start line (before the window),
        // the runner's 0-done progress, a progress line shown in the window.
        var dir = Path.GetDirectoryName(typeof(RunConsole).Assembly.Location)!;
        var fresh = new AssemblyLoadContext("run-console-fresh", isCollectible: true);
        fresh.Resolving += (c, name) => File.Exists(Path.Combine(dir, name.Name + ".dll")) ? c.LoadFromAssemblyPath(Path.Combine(dir, name.Name + ".dll")) : null;
        try
        {
            var reports = fresh.LoadFromAssemblyPath(typeof(RunConsole).Assembly.Location);
            var core = fresh.LoadFromAssemblyPath(typeof(SuitePlan).Assembly.Location);
            Assert.That(reports.GetType(typeof(RunConsole).FullName!), Is.Not.SameAs(typeof(RunConsole)), "a fresh copy of the console");
            var suites = Array.CreateInstance(core.GetType(typeof(SuitePlan).FullName!)!, 0);
            var w = new StringWriter();
            var console = Activator.CreateInstance(reports.GetType(typeof(RunConsole.Plain).FullName!)!, suites, false, TimeSpan.FromSeconds(10), w)!;
            var render = console.GetType().GetMethod(nameof(RunConsole.Plain.Render))!;
            var started = core.GetType(typeof(SuiteStarted).FullName!)!;
            var progress = core.GetType(typeof(SuiteProgress).FullName!)!;
            var t0 = new DateTime(2026, 12, 7, 20, 0, 0, DateTimeKind.Utc);
            render.Invoke(console, [Activator.CreateInstance(started, "quick", 1, 1, "valirq msi, load idle", 10.0, 5000L, "samples", null), t0]);
            render.Invoke(console, [Activator.CreateInstance(progress, "quick", 0L, 5000L, "samples", 0.0, 0.0, -1L, -1L, 0L), t0]);
            render.Invoke(console, [Activator.CreateInstance(progress, "quick", 4000L, 5000L, "samples", 8.0, 500.0, 380_000L, 3_700_000L, 0L), t0.AddSeconds(10)]);
            Assert.That(w.ToString(), Does.Contain("quick: 4000/5000 samples, 500/s, p99 380.0 us, max 3.70 ms, lost 0; run ETA ~2 s"), "the line was shown");
            Assert.That(console.GetType().GetProperty(nameof(RunConsole.MethodsCompiledForProgress))!.GetValue(console), Is.Zero,
                "methods compiled while the progress was handled: in `validate run` that is inside the suite's window, on the machine it measures");
        }
        finally
        {
            fresh.Unload();
        }
    }

    [Test]
    public void Verbose_plain_output_also_shows_the_notes_and_the_platforms_lines()
    {
        var w = new StringWriter();
        var console = new RunConsole.Plain(Suites, verbose: true, TimeSpan.FromSeconds(10), w);
        console.Render("a note", DateTime.UtcNow);
        console.Render(new PlatformLine("failed Run (3s)"), DateTime.UtcNow);
        Assert.That(w.ToString(), Does.Contain("validate: a note").And.Contain("failed Run (3s)"));
    }

    [Test]
    public void The_eta_counts_suites_not_started_at_their_plan_and_the_running_one_at_its_rate()
    {
        var eta = new RunEta(Suites);
        var quick = SuiteEstimate.Of(Suites[0]).Seconds;
        var longer = SuiteEstimate.Of(Suites[1]).Seconds;
        Assert.That(eta.RemainingS, Is.EqualTo(quick + longer).Within(1e-9));
        eta.Started(new SuiteStarted("quick", 1, 2, "", quick, 1000, "samples"));
        eta.Progress(new SuiteProgress("quick", 250, 1000, "samples", 5, 50, 0, 0, 0));
        Assert.That(eta.RemainingS, Is.EqualTo(15 + longer).Within(1e-9), "250 in 5 s: 750 more take 15 s");
        eta.Ended(new SuiteEnded("quick", 1, 2, "PASS", null, "", 20));
        Assert.That((eta.RemainingS, eta.Done), Is.EqualTo((longer, 1)));
    }

    [Test]
    public void On_a_terminal_the_start_and_end_lines_scroll_above_a_live_progress_display()
    {
        var console = new TestConsole().Interactive().EmitAnsiSequences();
        var events = new BlockingCollection<object>
        {
            new SuiteStarted("quick", 1, 2, "valirq msi, load idle", 5.2, 1000, "samples"),
            new SuiteProgress("quick", 500, 1000, "samples", 1, 500, 41_000, 120_000, 0),
            new SuiteEnded("quick", 1, 2, "PASS", null, "total p99 41 us", 2),
        };
        events.CompleteAdding();
        new RunConsole.Live(Suites, verbose: false, console).Pump(events);
        Assert.That(console.Output, Does.Contain("[1/2] quick: valirq msi, load idle; planned ~5 s").And.Contain("[1/2] quick: PASS in 2 s: total p99 41 us"));
    }
}
