using NUnit.Framework;
using Validate.Backends;
using Validate.Loads;
using Validate.Plans;

namespace Validate.UnitTests.Loads;

/// <summary>
/// The irq-flood load is an engine component (a thread of the run, not a second CLI process): its loop is
/// the backend's own and allocates nothing, so it cannot start a collection that would stop the measuring
/// threads; it stops when the load set stops and says what it did. On the host it floods through the timer
/// backend; the lab test floods a second edu card through valirq (tests/Validate.LabTests/EngineLabTests.cs).
/// </summary>
public class IrqFloodTests
{
    [Test]
    public void The_flood_loop_allocates_nothing_and_stops_with_its_load_set()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"validate-flood-{Guid.NewGuid():N}");
        try
        {
            var profile = new LoadProfile("flood", null, [new LoadCommand(LoadKind.IrqFlood, "", [], 0)]);
            IrqFlood? flood = null;
            var set = LoadSet.Start(profile, dir, (cmd, log) => flood = IrqFlood.Start(new TimerBackend(periodNs: 10_000), null, "0000:00:08.0", "irq-flood 0000:00:08.0 (timer)", log));
            Thread.Sleep(300);
            Assert.That(set.Exited(), Is.Empty, "the flood runs until it is stopped");
            var record = set.Stop().Single();
            set.Dispose();
            Assert.Multiple(() =>
            {
                Assert.That(flood!.AllocatedBytes, Is.Zero, "bytes the flood thread allocated while flooding");
                Assert.That(record.ExitedEarly, Is.False);
                Assert.That(record.Command, Does.Contain("0000:00:08.0"));
                Assert.That(record.LogTail, Does.Match(@"^flood 0000:00:08\.0: [1-9]\d* raised.* 0 bytes allocated"));
                Assert.That(File.ReadAllText(Directory.GetFiles(dir).Single()), Does.StartWith("flood 0000:00:08.0:"));
            });
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void An_irq_flood_with_no_second_card_is_a_setup_error_that_says_so()
    {
        var profile = new LoadProfile("flood", null, [new LoadCommand(LoadKind.IrqFlood, "", [], 0)]);
        var e = Assert.Throws<ValidateException>(() => LoadSet.Start(profile, Path.GetTempPath(), (_, _) => null))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.SetupError));
        Assert.That(e.Message, Does.Contain("irq-flood needs a second card"));
    }
}
