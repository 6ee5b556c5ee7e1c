using NUnit.Framework;
using Validate.Devices;
using Validate.Interop;

namespace Validate.UnitTests.Devices;

/// <summary>The user-space register program runs step for step as valirq's valirq_run_steps does (kmod/valirq_prog.c).</summary>
public class RegisterProgramTests
{
    /// <summary>A BAR in memory, with a log of the writes.</summary>
    private sealed class MemoryBar(int bar = 0) : BarWindow
    {
        public readonly uint[] Regs = new uint[64];
        public readonly List<(ulong Offset, uint Value)> Writes = [];
        public override int Bar { get; } = bar;
        public override ulong Size => 256;
        public override string Describe => "memory";
        public override uint Read(in ValirqReg r) => Regs[r.Offset / 4];
        public override bool TryWrite(in ValirqReg r, uint v)
        {
            Regs[r.Offset / 4] = v;
            Writes.Add((r.Offset, v));
            return true;
        }
        public override void Dispose() { }
    }

    private static ValirqReg Reg(uint offset, int bar = 0) => new() { Bar = (byte)bar, Space = Valirq.SpaceMem, Width = 4, Offset = offset };

    private static ValirqStep Step(uint op, uint offset, uint mask = 0xffffffff, uint value = 0, int bar = 0) =>
        new() { Op = op, Reg = Reg(offset, bar), Mask = mask, Value = value };

    private static ValirqProgram Program(params ValirqStep[] ack)
    {
        var p = new ValirqProgram { Check = Step(Valirq.OpReadNe, 0x24, 0xffffffff, 0), NAck = (uint)ack.Length };
        for (int i = 0; i < ack.Length; i++) p.Ack[i] = ack[i];
        return p;
    }

    [Test]
    public void The_ack_writes_back_what_the_check_read_masked()
    {
        var bar = new MemoryBar();
        bar.Regs[0x24 / 4] = 0x8000_0005;
        Assert.That(RegisterProgram.CheckAndAck(bar, Program(Step(Valirq.OpWriteStatus, 0x64, mask: 0xff))), Is.True);
        Assert.That(bar.Writes, Is.EqualTo(new[] { (0x64UL, 0x05u) }));
    }

    [Test]
    public void A_card_that_is_not_interrupting_is_not_acknowledged()
    {
        var bar = new MemoryBar();
        Assert.That(RegisterProgram.CheckAndAck(bar, Program(Step(Valirq.OpWrite, 0x64, value: 1))), Is.False);
        Assert.That(bar.Writes, Is.Empty);
    }

    [Test]
    public void The_quiesce_runs_every_op_with_status_0_as_valirqs_release_does()
    {
        var bar = new MemoryBar();
        bar.Regs[0x20 / 4] = 0xff;
        bar.Regs[0x28 / 4] = 0x10;
        var q = new ValirqQuiesce { NSteps = 4 };
        q.Steps[0] = Step(Valirq.OpWrite, 0x64, value: 0xffffffff);
        q.Steps[1] = Step(Valirq.OpClearBits, 0x20, mask: 0x80);
        q.Steps[2] = Step(Valirq.OpSetBits, 0x28, value: 0x01);
        q.Steps[3] = Step(Valirq.OpWriteStatus, 0x30, mask: 0xff);
        RegisterProgram.Quiesce(bar, q);
        Assert.That(bar.Writes, Is.EqualTo(new[] { (0x64UL, 0xffffffffu), (0x20UL, 0x7fu), (0x28UL, 0x11u), (0x30UL, 0u) }));
    }

    [Test]
    public void Steps_on_a_bar_this_window_does_not_reach_are_skipped()
    {
        var bar = new MemoryBar(bar: 0);
        var q = new ValirqQuiesce { NSteps = 2 };
        q.Steps[0] = Step(Valirq.OpWrite, 0x10, value: 7, bar: 2);
        q.Steps[1] = Step(Valirq.OpWrite, 0x14, value: 9);
        RegisterProgram.Quiesce(bar, q);
        Assert.That(bar.Writes, Is.EqualTo(new[] { (0x14UL, 9u) }));
    }

    [Test]
    public void The_ack_allocates_nothing()
    {
        var bar = new MemoryBar();
        var p = Program(Step(Valirq.OpWriteStatus, 0x64), Step(Valirq.OpClearBits, 0x20, mask: 0x80));
        bar.Writes.Capacity = 4096;
        bar.Regs[0x24 / 4] = 1;
        RegisterProgram.CheckAndAck(bar, p);
        bar.Writes.Clear();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            bar.Regs[0x24 / 4] = 1;
            RegisterProgram.CheckAndAck(bar, p);
            if (bar.Writes.Count > 4000) bar.Writes.Clear();
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
