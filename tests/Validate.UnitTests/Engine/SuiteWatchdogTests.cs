using System.Collections.Concurrent;
using NUnit.Framework;
using Validate.Engine;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Engine;

/// <summary>
/// The watchdog of `validate run` takes a suite as hung once it has run past its own limit, once, and never
/// a suite that ended in time; its default limit grows with the suite's planned time.
/// </summary>
public class SuiteWatchdogTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public void A_suite_past_its_limit_is_reported_once_with_the_time_it_ran()
    {
        var hangs = new BlockingCollection<(string Suite, double Ran, double Limit)>();
        using (var w = new SuiteWatchdog(_ => 0.2, (s, ran, limit) => { hangs.Add((s, ran, limit)); return true; }))
        {
            w.Started("a");
            Assert.That(hangs.TryTake(out var h, Wait), Is.True, "reported");
            Assert.That(h.Suite, Is.EqualTo("a"));
            Assert.That(h.Ran, Is.GreaterThanOrEqualTo(0.2).And.LessThan(5));
            Assert.That(h.Limit, Is.EqualTo(0.2));
            // Hung is set once the callback has returned (it stopped the run), a moment after it added to hangs.
            Assert.That(SpinWait.SpinUntil(() => w.Hung == "a", Wait), Is.True, "Hung names the suite");
            Assert.That(hangs.TryTake(out _, TimeSpan.FromSeconds(0.5)), Is.False, "once");
        }
    }

    [Test]
    public void A_suite_that_ends_in_time_is_not_reported_and_the_next_gets_its_own_limit()
    {
        var hangs = new BlockingCollection<string>();
        var limits = new Dictionary<string, double> { ["quick"] = 5, ["slow"] = 0.3 };
        using var w = new SuiteWatchdog(s => limits[s], (s, _, _) => { hangs.Add(s); return true; });
        w.Started("quick");
        Thread.Sleep(100);
        w.Ended("quick");
        Assert.That(hangs.TryTake(out _, TimeSpan.FromSeconds(1)), Is.False, "quick ended before its 5 s");
        Assert.That(w.Hung, Is.Null);
        w.Started("slow");
        Assert.That(hangs.TryTake(out var hung, Wait), Is.True);
        Assert.That(hung, Is.EqualTo("slow"));
    }

    [Test]
    public void An_end_for_another_suite_does_not_clear_the_running_one()
    {
        var hangs = new BlockingCollection<string>();
        using var w = new SuiteWatchdog(_ => 0.3, (s, _, _) => { hangs.Add(s); return true; });
        w.Started("b");
        w.Ended("a");
        Assert.That(hangs.TryTake(out var hung, Wait), Is.True);
        Assert.That(hung, Is.EqualTo("b"));
    }

    [Test]
    public void A_suite_that_ended_while_its_threads_were_read_is_not_taken_and_the_next_one_is_watched()
    {
        var calls = new BlockingCollection<string>();
        using var w = new SuiteWatchdog(_ => 0.2, (s, _, _) => { calls.Add(s); return s != "a"; });
        w.Started("a");
        Assert.That(calls.TryTake(out var first, Wait), Is.True);
        Assert.That((first, w.Hung), Is.EqualTo(("a", (string?)null)), "a false alarm: the run goes on");
        Assert.That(calls.TryTake(out _, TimeSpan.FromSeconds(0.5)), Is.False, "a is not taken again");
        w.Started("b");
        Assert.That(calls.TryTake(out var second, Wait), Is.True);
        Assert.That(second, Is.EqualTo("b"));
        Assert.That(SpinWait.SpinUntil(() => w.Hung == "b", Wait), Is.True);
    }

    [Test]
    public void What_the_callback_throws_is_kept_for_the_caller_and_the_watching_stops()
    {
        var w = new SuiteWatchdog(_ => 0.1, (_, _, _) => throw new InvalidOperationException("bug"));
        w.Started("a");
        Assert.That(SpinWait.SpinUntil(() => w.Fault is not null, Wait), Is.True);
        w.Dispose();
        Assert.That(w.Fault, Is.TypeOf<InvalidOperationException>());
        Assert.That(w.Hung, Is.Null);
    }

    [Test]
    public void The_default_limit_is_ten_times_the_planned_time_and_ten_minutes()
    {
        var plan = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json"), ["suites:0:count=50000"], cpuCount: 2);
        var s = plan.Suites[0];
        var planned = SuiteEstimate.Of(s).Seconds;
        Assert.That(planned, Is.GreaterThan(100), "50000 samples at the plan's rate");
        Assert.That(SuiteEstimate.HangAfterS(s), Is.EqualTo(600 + 10 * planned).Within(1e-9));
    }
}
