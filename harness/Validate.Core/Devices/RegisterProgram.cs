using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// The card's register programs (the IRQ program's check and ack steps, the quiesce steps) run from user
/// space over a <see cref="BarWindow"/>, step for step as valirq runs them in the kernel
/// (kmod/valirq_prog.c, valirq_run_steps): write, write-status (what the check read, masked; 0 in a
/// quiesce, which has no check), set-bits, clear-bits. The one interpreter of every user-space path: the
/// uio and PCI 2.3 backends' acknowledgement, the fault suites' quiesce when a card is left. Allocation-free.
/// </summary>
public static class RegisterProgram
{
    /// <summary>The check step: whether the card is interrupting, and the status it read.</summary>
    public static bool Check(BarWindow bar, in ValirqStep check, out uint status)
    {
        status = bar.Read(check.Reg);
        var masked = status & check.Mask;
        return check.Op == Valirq.OpReadEq ? masked == check.Value : masked != check.Value;
    }

    /// <summary>
    /// Runs <paramref name="steps"/> with <paramref name="status"/> for write-status. Steps on another BAR
    /// or in I/O space are not reachable through this window and are skipped (the IRQ program's are
    /// checked to be reachable at set-up: <see cref="BarWindow.CheckCovers"/>). Returns false when a write
    /// did not reach the card (<see cref="BarWindow.LastErrno"/> says why); the rest still run.
    /// </summary>
    public static bool Run(BarWindow bar, ReadOnlySpan<ValirqStep> steps, uint status)
    {
        var ok = true;
        foreach (ref readonly var s in steps)
        {
            if (s.Reg.Bar != bar.Bar || s.Reg.Space != Valirq.SpaceMem) continue;
            ok &= s.Op switch
            {
                Valirq.OpWrite => bar.TryWrite(s.Reg, s.Value),
                Valirq.OpWriteStatus => bar.TryWrite(s.Reg, status & s.Mask),
                Valirq.OpSetBits => bar.TryWrite(s.Reg, bar.Read(s.Reg) | s.Value),
                Valirq.OpClearBits => bar.TryWrite(s.Reg, bar.Read(s.Reg) & ~s.Mask),
                _ => true,
            };
        }
        return ok;
    }

    /// <summary>The IRQ program's check, and when the card is interrupting, its ack steps. Returns whether it was.</summary>
    public static bool CheckAndAck(BarWindow bar, in ValirqProgram p)
    {
        if (!Check(bar, p.Check, out var status)) return false;
        Run(bar, ((ReadOnlySpan<ValirqStep>)p.Ack)[..(int)p.NAck], status);
        return true;
    }

    /// <summary>The quiesce program, as valirq's release runs it; throws <see cref="InteropException"/> when a write failed.</summary>
    public static void Quiesce(BarWindow bar, in ValirqQuiesce q)
    {
        if (!Run(bar, ((ReadOnlySpan<ValirqStep>)q.Steps)[..(int)q.NSteps], 0))
            throw new InteropException("quiesce program write", bar.LastErrno, bar.Describe);
    }
}
