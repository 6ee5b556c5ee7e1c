using NUnit.Framework;
using Validate.Recording;
using Validate.Tracing;

namespace Validate.UnitTests.Tracing;

/// <summary>
/// The measuring loop's side of a trace: one marker line per sample naming it by its raise, the crossing said
/// in the line, the ring stopped (a 0 into tracing_on) once at the first crossing after freezeAfter, and
/// nothing allocated. Plain files stand in for tracefs's trace_marker and tracing_on.
/// </summary>
public class TraceMarksTests
{
    private string _dir = "";
    private string Marker => Path.Combine(_dir, "trace_marker");
    private string On => Path.Combine(_dir, "tracing_on");

    [SetUp]
    public void MakeDir()
    {
        _dir = Directory.CreateTempSubdirectory("validate-marks-").FullName;
        File.WriteAllText(Marker, "");
        File.WriteAllText(On, "1");
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] ValirqStages = ["raise-hardirq", "hardirq-thread", "thread-user", "total"];

    private static Sample Of(long raise, long total)
    {
        var s = new Sample { TimestampNs = raise };
        s.Stages[0] = 10_000;
        s.Stages[1] = 20_000;
        s.Stages[2] = 30_000;
        s.Stages[3] = total;
        return s;
    }

    [Test]
    public void Each_sample_gets_a_marker_naming_it_by_its_raise_and_a_crossing_is_said_in_it()
    {
        using var marks = new TraceMarks(ValirqStages, new Dictionary<string, long> { ["total"] = 500_000, ["wakeup-running"] = 1 }, marker: true, freeze: false, 0);
        marks.Target(Marker, On);
        foreach (var (raise, total) in new[] { (1_000_000L, 200_000L), (3_000_000L, 700_000L), (5_000_000L, 0L) })
        {
            var s = Of(raise, total);
            marks.After(ref s);
        }
        Assert.That(File.ReadAllLines(Marker), Is.EqualTo(new[]
        {
            "validate sample=0 raise=1000000",
            "validate sample=1 raise=3000000 crossed total=700000",
            "validate sample=2 raise=5000000",
        }));
        Assert.That(File.ReadAllText(On), Is.EqualTo("1"), "no freeze asked: the ring records on");
        var o = marks.Outcome();
        Assert.That((o.Written, o.Failed, o.CrossedSample, o.FrozenAtNs), Is.EqualTo((3L, 0L, -1L, -1L)), "a crossing is watched for only with freeze");
        // Each line parses back to the sample it names.
        var e = TraceParser.ParseLine("  measure-valirq-cpu1-500 [001] ..... 100.000165: tracing_mark_write: validate sample=1 raise=3000000 crossed total=700000")!;
        Assert.That((e.Kind, e.MarkSample, e.MarkRaiseNs, e.MarkCrossed, e.Pid), Is.EqualTo((TraceKind.Marker, 1L, 3_000_000L, "total=700000", 500)));
    }

    [Test]
    public void The_ring_is_frozen_once_at_the_first_crossing_and_no_marker_is_written_after()
    {
        using var marks = new TraceMarks(ValirqStages, new Dictionary<string, long> { ["total"] = 500_000 }, marker: true, freeze: true, 0);
        marks.Target(Marker, On);
        File.WriteAllText(On, "");
        for (int i = 0; i < 6; i++)
        {
            var s = Of(1_000_000L * (i + 1), i is 2 or 4 ? 900_000 : 100_000);
            marks.After(ref s);
        }
        Assert.That(File.ReadAllText(On), Is.EqualTo("0"), "one 0 into tracing_on");
        Assert.That(File.ReadAllLines(Marker), Has.Length.EqualTo(3), "markers up to the crossing, none after the ring stopped");
        var o = marks.Outcome();
        Assert.That((o.CrossedSample, o.CrossedRaiseNs, o.CrossedStage, o.CrossedNs, o.FrozenAfterSample), Is.EqualTo((2L, 3_000_000L, "total", 900_000L, 2L)));
        Assert.That(o.FrozenAtNs, Is.GreaterThan(0));
    }

    [Test]
    public void With_freezeAfter_the_ring_records_on_until_it_has_passed()
    {
        using var marks = new TraceMarks(ValirqStages, new Dictionary<string, long> { ["total"] = 500_000 }, marker: false, freeze: true, 50_000_000);
        marks.Target(Marker, On);
        File.WriteAllText(On, "");
        var crossing = Of(1_000_000, 900_000);
        marks.After(ref crossing);
        var next = Of(2_000_000, 100_000);
        marks.After(ref next);
        Assert.That(marks.Outcome().FrozenAtNs, Is.EqualTo(-1L), "50 ms have not passed");
        Assert.That(File.ReadAllText(On), Is.Empty);
        Thread.Sleep(60);
        var late = Of(3_000_000, 100_000);
        marks.After(ref late);
        var o = marks.Outcome();
        Assert.That((o.CrossedSample, o.FrozenAfterSample, File.ReadAllText(On)), Is.EqualTo((0L, 2L, "0")));
        Assert.That(File.ReadAllText(Marker), Is.Empty, "markers off");
    }

    [Test]
    public void A_threshold_only_on_the_traces_own_stages_gives_the_loop_nothing_to_freeze_on()
    {
        using var marks = new TraceMarks(["total"], new Dictionary<string, long> { ["hardirq-thread"] = 1 }, marker: false, freeze: true, 0);
        Assert.That(marks.Active, Is.False);
    }

    [Test]
    public void Markers_and_the_freeze_allocate_nothing()
    {
        using var marks = new TraceMarks(ValirqStages, new Dictionary<string, long> { ["total"] = 500_000 }, marker: true, freeze: true, 1_000_000_000_000);
        marks.Rehearse();
        var s = Of(1_000_000, 900_000);
        void Run(ref Sample s)
        {
            for (int i = 0; i < 100_000; i++)
            {
                s.TimestampNs = long.MaxValue - i;
                s.Stages[3] = i % 2 == 0 ? 900_000 : 100_000;
                marks.After(ref s);
            }
        }
        // A pass first, as the measuring loop's warm-up does: the calls bound, the loop and After compiled (and
        // tiered up). Once, in a full unit run, the measured pass saw an allocation without it.
        Run(ref s);
        marks.Restart();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(ref s);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
        Assert.That((marks.Marked, marks.Failed), Is.EqualTo((100_000L, 0L)), "written into /dev/null");
    }

    [Test]
    public void A_marker_that_cannot_be_written_is_counted_with_its_errno_and_the_loop_goes_on()
    {
        using var marks = new TraceMarks(ValirqStages, new Dictionary<string, long>(), marker: true, freeze: false, 0);
        marks.Target("/dev/full", On);
        var s = Of(1_000_000, 1);
        marks.After(ref s);
        marks.After(ref s);
        var o = marks.Outcome();
        Assert.That((o.Written, o.Failed, o.Errno), Is.EqualTo((0L, 2L, 28)), "ENOSPC from /dev/full");
    }
}
