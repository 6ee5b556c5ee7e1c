using NUnit.Framework;
using Validate.Analysis;
using Validate.Faults;
using Validate.Plans;

namespace Validate.UnitTests.Faults;

/// <summary>
/// Every raise of a fault suite is accounted for: handled, coalesced at the card, lost (explained by a
/// dying driver's quiesce, or not), or handled twice. Raise i sets bit i % 32; reports say which bits.
/// </summary>
public class FaultAccountingTests
{
    private static DriverReport Report(long readNs, uint status) => new(0, status, readNs - 5, readNs, readNs + 5);

    [Test]
    public void Each_raise_handled_once_is_handled_with_its_latency()
    {
        long[] raises = [100, 200, 300];
        var a = FaultAccounting.Compute(raises, [Report(150, 0b001), Report(260, 0b010), Report(390, 0b100)], []);
        Assert.That((a.Raised, a.Handled, a.Duplicated, a.LostUnexplained, a.Late), Is.EqualTo((3L, 3L, 0L, 0L, 0L)));
        Assert.That(a.HandledLatencyNs, Is.EqualTo(new long[] { 50, 60, 90 }));
    }

    [Test]
    public void One_report_may_serve_several_raises_with_different_tags()
    {
        var a = FaultAccounting.Compute([100, 110, 120], [Report(200, 0b111)], []);
        Assert.That((a.Handled, a.LostUnexplained), Is.EqualTo((3L, 0L)));
    }

    [Test]
    public void A_bit_reported_with_no_raise_waiting_is_a_duplicate()
    {
        var a = FaultAccounting.Compute([100], [Report(150, 0b1), Report(250, 0b1)], []);
        Assert.That((a.Handled, a.Duplicated), Is.EqualTo((1L, 1L)));
        Assert.That(a.DuplicatedNs, Is.EqualTo(new long[] { 250 }));
    }

    [Test]
    public void A_bit_read_before_a_revocation_and_found_again_by_the_next_opener_is_served_again_not_handled_twice()
    {
        // The revoked driver read bit 0 (150), its ack went to the scratch page, ACK said EPERM: an unconfirmed report.
        // The next opener finds bit 0 still set at the card (300): the same raise, not a second handling.
        var revoked = Report(150, 0b1) with { Unconfirmed = true };
        var a = FaultAccounting.Compute([100], [revoked, Report(300, 0b1)], []);
        Assert.That((a.Handled, a.ServedAgain, a.Duplicated), Is.EqualTo((1L, 1L, 0L)));
        Assert.That(a.HandledLatencyNs, Is.EqualTo(new long[] { 50 }), "the raise was served at the first read");
        // Once only: a third report of the bit with no raise waiting is a duplicate.
        var thrice = FaultAccounting.Compute([100], [revoked, Report(300, 0b1), Report(400, 0b1)], []);
        Assert.That((thrice.ServedAgain, thrice.Duplicated), Is.EqualTo((1L, 1L)));
        // Confirmed (an ordinary irq line), the second report is a duplicate.
        var confirmed = FaultAccounting.Compute([100], [Report(150, 0b1), Report(300, 0b1)], []);
        Assert.That((confirmed.ServedAgain, confirmed.Duplicated), Is.EqualTo((0L, 1L)));
        // Only the next report: one without the bit (the ack had reached the card) ends it, and a later report of the bit is a duplicate.
        var later = FaultAccounting.Compute([100, 200], [revoked, Report(250, 0b10), Report(300, 0b1)], []);
        Assert.That((later.Handled, later.ServedAgain, later.Duplicated), Is.EqualTo((2L, 0L, 1L)));
        // A new raise of the bit in between is what the next report serves; nothing is served again.
        var raisedAgain = FaultAccounting.Compute([100, 200], [revoked, Report(300, 0b1)], [], TagScheme.Rotate(0x1, 0, 0));
        Assert.That((raisedAgain.Handled, raisedAgain.ServedAgain, raisedAgain.Duplicated), Is.EqualTo((2L, 0L, 0L)));
    }

    [Test]
    public void A_report_read_before_a_raise_cannot_have_served_it()
    {
        var a = FaultAccounting.Compute([300], [Report(200, 0b1)], []);
        Assert.That((a.Handled, a.Duplicated, a.LostUnexplained), Is.EqualTo((0L, 1L, 1L)));
    }

    [Test]
    public void A_raise_never_handled_is_lost_unexplained_outside_a_fault_window()
    {
        var a = FaultAccounting.Compute([100, 200], [Report(150, 0b01)], []);
        Assert.That((a.Handled, a.LostUnexplained, a.Unexplained), Is.EqualTo((1L, 1L, 1L)));
        Assert.That(a.UnexplainedNs, Is.EqualTo(new long[] { 200 }));
    }

    [Test]
    public void A_raise_the_dying_drivers_quiesce_cleared_is_lost_explained()
    {
        // Window: from the dead driver's last report (150) to its exit (400); the next driver's first interrupt at 900.
        var w = new ExplainedWindow(150, 400, 900);
        var a = FaultAccounting.Compute([100, 200, 500], [Report(150, 0b001), Report(600, 0b100)], [w]);
        Assert.That((a.Handled, a.LostExplained, a.LostUnexplained), Is.EqualTo((2L, 1L, 0L)));
    }

    [Test]
    public void A_raise_after_the_quiesce_must_reach_the_next_driver()
    {
        var w = new ExplainedWindow(150, 400, 900);
        var a = FaultAccounting.Compute([100, 500], [Report(150, 0b01)], [w]);
        Assert.That(a.LostUnexplained, Is.EqualTo(1), "raised at 500, after the quiesce at 400: the next driver should have got it");
    }

    [Test]
    public void Raises_of_one_tag_coalesce_at_the_card_explained_in_a_fault_and_late_outside_one()
    {
        // 33 raises: raise 0 and raise 32 share bit 0; one report of bit 0 serves both.
        var raises = Enumerable.Range(0, 33).Select(i => 100L + i * 10).ToArray();
        var all = Report(1000, 0xffffffff);
        var inFault = FaultAccounting.Compute(raises, [all], [new ExplainedWindow(50, 60, 2000)]);
        Assert.That((inFault.Handled, inFault.CoalescedExplained, inFault.Late), Is.EqualTo((32L, 1L, 0L)));
        var outside = FaultAccounting.Compute(raises, [all], []);
        Assert.That((outside.Handled, outside.CoalescedExplained, outside.Late, outside.Unexplained), Is.EqualTo((32L, 0L, 1L, 0L)));
    }

    [Test]
    public void A_raise_cleared_in_a_fault_does_not_steal_the_next_raise_of_its_tag()
    {
        // Raise 0 (bit 0) is cleared by the dying driver's quiesce (window 0..50); raise 32, bit 0 again, is
        // made outside any window and handled: it is the handled one, and raise 0 is explained.
        var raises = Enumerable.Range(0, 33).Select(i => i == 0 ? 10L : 100L + i * 10).ToArray();
        var reports = Enumerable.Range(1, 31).Select(i => Report(raises[i] + 5, 1u << i)).Append(Report(raises[32] + 5, 1u)).ToList();
        var a = FaultAccounting.Compute(raises, reports, [new ExplainedWindow(0, 50, 60)]);
        Assert.That((a.Handled, a.CoalescedExplained, a.Late, a.LostUnexplained), Is.EqualTo((32L, 1L, 0L, 0L)));
        Assert.That(a.HandledLatencyNs.Max(), Is.EqualTo(5), "raise 32 was served 5 ns after it was made, not raise 0");
    }

    [Test]
    public void Every_raise_lands_in_exactly_one_count()
    {
        var rnd = new Random(7);
        var raises = Enumerable.Range(0, 500).Select(i => 1000L * i).ToArray();
        var reports = Enumerable.Range(0, 200).Select(i => Report(2500L * i + 700, (uint)rnd.NextInt64(0, 1L << 32))).ToList();
        var a = FaultAccounting.Compute(raises, reports, [new ExplainedWindow(100_000, 150_000, 200_000)]);
        Assert.That(a.Handled + a.CoalescedExplained + a.Late + a.LostExplained + a.LostUnexplained, Is.EqualTo(a.Raised));
    }
}
