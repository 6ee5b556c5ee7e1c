using Validate.Devices;
using Validate.Interop;

namespace Validate.Faults;

/// <summary>
/// The card's health after all the faults, when the plan names the registers for it (edu: liveness
/// returns the complement of what was written, and the factorial unit computes 5! = 120).
/// </summary>
public static class CardHealth
{
    public static (bool Passed, string Text) Check(BarWindow bar, IReadOnlyDictionary<string, ValirqReg> registers)
    {
        if (!registers.TryGetValue("liveness", out var live) || !registers.TryGetValue("factorial", out var fact) || !registers.TryGetValue("status", out var st))
            return (true, "not checked: the plan names no liveness, factorial and status registers");
        bar.Write(live, 0x5a5aa5a5);
        var l = bar.Read(live);
        bar.Write(st, bar.Read(st) & ~0x80u);
        bar.Write(fact, 5);
        var deadline = Environment.TickCount64 + 1000;
        while ((bar.Read(st) & 1) != 0 && Environment.TickCount64 < deadline) Thread.Sleep(1);
        var f = bar.Read(fact);
        var passed = l == ~0x5a5aa5a5u && f == 120;
        return (passed, $"liveness 0x{l:x8} (want 0x{~0x5a5aa5a5u:x8}), factorial 5! = {f} (want 120): {(passed ? "ok" : "BROKEN")}");
    }
}
