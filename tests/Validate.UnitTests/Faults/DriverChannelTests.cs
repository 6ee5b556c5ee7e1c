using NUnit.Framework;
using Validate.Analysis;
using Validate.Faults;
using Validate.Plans;

namespace Validate.UnitTests.Faults;

/// <summary>The driver channel as the harness reads it: a fake driver (sh) speaks it, release lines included.</summary>
public class DriverChannelTests
{
    private static DriverProcess Fake(string script, List<DriverReport> reports, List<string> problems)
    {
        var log = Path.Combine(Path.GetTempPath(), $"validate-fake-driver-{Guid.NewGuid():N}.log");
        return DriverProcess.Start(new DriverCommand("fake", "/bin/sh", ["-c", script], null), "/bin/sh", new Dictionary<string, string>(), 0, log, 0, 1,
            r => { lock (reports) reports.Add(r); }, p => { lock (problems) problems.Add(p); });
    }

    [Test]
    public void A_release_line_says_what_valirqs_last_release_did_and_is_no_protocol_error()
    {
        var reports = new List<DriverReport>();
        using var d = Fake("echo hello $$ 100; echo ready 200; echo release 250 reset; echo irq 0x1 240 260 270 1; echo release 300 neither; cat >/dev/null", reports, []);
        Assert.That(d.WaitFor(x => x.ReleaseNs == 300, 10_000), Is.True);
        Assert.That((d.Release, d.ReleaseNs, d.ReadyNs, d.FirstIrqNs), Is.EqualTo(("neither", 300L, 200L, 270L)));
        Assert.That(d.ProtocolErrors, Is.Empty);
        Assert.That(reports.Single().Status, Is.EqualTo(1u));
    }

    [Test]
    public void An_irq_revoked_line_is_a_report_marked_unconfirmed_and_no_protocol_error()
    {
        var reports = new List<DriverReport>();
        using var d = Fake("echo ready 200; echo irq-revoked 0x4 240 260 270 1 0; echo revoked 280; echo ready 300; echo irq 0x4 0 310 320 0 0; cat >/dev/null", reports, []);
        Assert.That(d.WaitFor(x => x.ReadyNs == 300 && x.Handled == 2, 10_000), Is.True);
        Assert.That(d.ProtocolErrors, Is.Empty);
        lock (reports) Assert.That(reports.Select(r => (r.Status, r.Unconfirmed)), Is.EqualTo(new[] { (4u, true), (4u, false) }));
    }

    [TestCase("release 250 rebooted")]
    [TestCase("release 250")]
    [TestCase("release x quiesced")]
    public void A_release_line_with_an_unknown_outcome_is_a_protocol_error(string line)
    {
        using var d = Fake($"echo ready 200; echo '{line}'; cat >/dev/null", [], []);
        Assert.That(d.WaitFor(x => x.ProtocolErrors.Count > 0, 10_000), Is.True, "the bad line is caught");
        Assert.That(d.ProtocolErrors.Single(), Is.EqualTo(line));
        Assert.That(d.Release, Is.Null);
    }

    [Test]
    public void On_msix_what_is_unread_reaches_back_to_the_vector_served_longest_ago()
    {
        // Vector 0 last served at 300, vector 1 at 500, vector 3 never (since ready at 200); vector 2's empty report does not count.
        using var d = Fake("echo ready 200; echo irq 0x1 290 300 310 1 0; echo irq 0x2 490 500 510 1 1; echo irq 0x0 590 600 610 1 2; cat >/dev/null", [], []);
        Assert.That(d.WaitFor(x => x.Handled == 2 && x.LastIrqReadNs == 500, 10_000), Is.True);
        Thread.Sleep(200);
        Assert.That(d.OldestLastReadNs([0, 1]), Is.EqualTo(300L));
        Assert.That(d.OldestLastReadNs([1]), Is.EqualTo(500L));
        Assert.That(d.OldestLastReadNs([1, 3]), Is.EqualTo(200L), "a vector that has not reported since ready: back to ready");
    }
}
