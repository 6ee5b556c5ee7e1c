using System.Globalization;
using Validate.Devices;
using Validate.Plans;

namespace Validate.Faults;

/// <summary>
/// The card's health after all the faults, as the plan's "health" checks describe it: each writes a value
/// when it says so, then reads the register until (value &amp; mask) is what it expects or its time is up.
/// A plan without checks is "not checked" (and says so in the results).
/// </summary>
public static class CardHealth
{
    public static (bool Passed, string Text) Check(BarWindow bar, IReadOnlyList<HealthCheck>? checks)
    {
        if (checks is null || checks.Count == 0)
            return (true, "not checked: the plan has no \"health\" checks");
        var parts = new List<string>();
        var failed = new List<string>();
        foreach (var c in checks)
        {
            if (c.Write is { } w) bar.Write(c.Register, w);
            var deadline = Environment.TickCount64 + c.WithinMs;
            uint got;
            while (((got = bar.Read(c.Register)) & c.Mask) != c.Expect && Environment.TickCount64 < deadline) Thread.Sleep(1);
            var ok = (got & c.Mask) == c.Expect;
            if (!ok) failed.Add(c.RegisterName);
            var what = c.Write is { } v ? $"{c.RegisterName} after writing 0x{v:x}" : c.RegisterName;
            var masked = c.Mask == uint.MaxValue ? "" : string.Create(CultureInfo.InvariantCulture, $" & 0x{c.Mask:x}");
            parts.Add($"{what}{masked} = 0x{got & c.Mask:x} (want 0x{c.Expect:x})");
        }
        return (failed.Count == 0, string.Join("; ", parts) + (failed.Count == 0 ? ": ok" : $": BROKEN ({string.Join(", ", failed)})"));
    }
}
