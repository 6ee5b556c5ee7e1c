using NUnit.Framework;
using Validate.Analysis;
using Validate.Devices;
using Validate.Faults;
using Validate.Interop;
using Validate.Plans;

namespace Validate.UnitTests.Faults;

/// <summary>
/// How raises are told apart is the plan's: the bits that rotate in the raise value, where the status shows
/// them back, or no tag at all (count only), which still finds losses and duplicates. And the card's health
/// after the faults is the plan's checks, not one card's registers.
/// </summary>
public class TagSchemeTests
{
    private static DriverReport Report(long readNs, uint status) => new(0, status, readNs - 5, readNs, readNs + 5);

    [Test]
    public void Raises_rotate_over_the_tag_bits_and_keep_the_other_bits_of_the_value()
    {
        var t = TagScheme.Rotate(0x00f00000, 0, 0x80000001);
        Assert.Multiple(() =>
        {
            Assert.That(t.Count, Is.EqualTo(4));
            Assert.That(Enumerable.Range(0, 5).Select(t.RaiseValue), Is.EqualTo(new[] { 0x80100001u, 0x80200001u, 0x80400001u, 0x80800001u, 0x80100001u }));
            Assert.That(t.TagsIn(0x80a00000), Is.EqualTo(0b1010ul), "bit 31 (asserted) is no tag");
        });
    }

    [Test]
    public void A_status_shift_says_where_the_status_shows_a_raised_bit()
    {
        var t = TagScheme.Rotate(0b1111, 8, 0);
        Assert.That((t.RaiseValue(2), t.StatusBitOf(2), t.TagsIn(0x400), t.TagsIn(0x4)), Is.EqualTo((0b100u, 0x400u, 0b100ul, 0ul)));
    }

    [Test]
    public void Tags_from_the_plan_find_the_raise_each_report_served()
    {
        var t = TagScheme.Rotate(0x00f00000, 0, 0);
        var a = FaultAccounting.Compute([100, 200, 300], [Report(150, 0x00100000), Report(250, 0x80200000), Report(390, 0x00400000)], [], t);
        Assert.That((a.Handled, a.Duplicated, a.LostUnexplained, a.EmptyReports), Is.EqualTo((3L, 0L, 0L, 0L)));
        var lost = FaultAccounting.Compute([100, 200, 300], [Report(150, 0x00100000), Report(390, 0x00400000)], [], t);
        Assert.That((lost.Handled, lost.LostUnexplained, lost.UnexplainedNs[0]), Is.EqualTo((2L, 1L, 200L)));
    }

    [Test]
    public void Count_only_accounting_still_finds_losses_and_duplicates()
    {
        var none = TagScheme.None(0x4);
        Assert.That((none.Count, none.RaiseValue(7)), Is.EqualTo((1, 0x4u)));
        var ok = FaultAccounting.Compute([100, 200], [Report(150, 0x4), Report(250, 0x4)], [], none);
        Assert.That((ok.Handled, ok.Duplicated, ok.LostUnexplained), Is.EqualTo((2L, 0L, 0L)));
        var dup = FaultAccounting.Compute([100], [Report(150, 0x4), Report(250, 0x4)], [], none);
        Assert.That((dup.Handled, dup.Duplicated), Is.EqualTo((1L, 1L)));
        var lost = FaultAccounting.Compute([100, 200, 300], [Report(150, 0x4)], [], none);
        Assert.That((lost.Handled, lost.LostUnexplained), Is.EqualTo((1L, 2L)));
        var empty = FaultAccounting.Compute([100], [Report(150, 0)], [], none);
        Assert.That((empty.EmptyReports, empty.LostUnexplained), Is.EqualTo((1L, 1L)));
    }

    /// <summary>A card of 16 registers in memory.</summary>
    private sealed class FakeBar : BarWindow
    {
        public readonly uint[] Regs = new uint[16];
        public Func<uint, uint, uint> OnWrite { get; init; } = (_, v) => v;
        public override ulong Size => 64;
        public override int Bar => 0;
        public override string Describe => "fake";
        public override uint Read(in ValirqReg r) => Regs[r.Offset / 4];
        public override bool TryWrite(in ValirqReg r, uint v)
        {
            Regs[r.Offset / 4] = OnWrite(r.Offset, v);
            return true;
        }
        public override void Dispose() { }
    }

    private static ValirqReg Reg(uint offset) => new() { Bar = 0, Width = 4, Offset = offset };

    [Test]
    public void The_health_check_is_the_plans_writes_and_expected_reads()
    {
        // Register 0 reads back the complement of what is written (as edu's liveness does); register 4 reads what was written.
        var bar = new FakeBar { OnWrite = (off, v) => off == 0 ? ~v : v };
        HealthCheck[] checks = [new("live", Reg(0), 0x5a5aa5a5, 0xffffffff, 0xa5a55a5a, 0), new("mask", Reg(4), null, 0xf0, 0, 0)];
        var (passed, text) = CardHealth.Check(bar, checks);
        Assert.That((passed, text), Is.EqualTo((true, "live after writing 0x5a5aa5a5 = 0xa5a55a5a (want 0xa5a55a5a); mask & 0xf0 = 0x0 (want 0x0): ok")));
        bar.Regs[1] = 0x30;
        var (broken, why) = CardHealth.Check(bar, checks);
        Assert.That((broken, why), Is.EqualTo((false, "live after writing 0x5a5aa5a5 = 0xa5a55a5a (want 0xa5a55a5a); mask & 0xf0 = 0x30 (want 0x0): BROKEN (mask)")));
        Assert.That(CardHealth.Check(bar, []), Is.EqualTo((true, "not checked: the plan has no \"health\" checks")));
    }
}
