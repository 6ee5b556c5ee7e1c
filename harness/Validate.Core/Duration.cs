using System.Globalization;

namespace Validate;

/// <summary>Durations as plans write them: "500ns", "150us", "2ms", "1.5s"; a bare number is ns.</summary>
public static class Duration
{
    public static long? TryParseNs(string text)
    {
        text = text.Trim();
        (string unit, double scale)[] units = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];
        foreach (var (unit, scale) in units)
        {
            if (text.EndsWith(unit, StringComparison.Ordinal) &&
                double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                return (long)Math.Round(v * scale);
        }
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns) ? ns : null;
    }

    public static string Format(long ns) => ns switch
    {
        >= 1_000_000_000 => $"{ns / 1e9:0.00} s",
        >= 1_000_000 => $"{ns / 1e6:0.00} ms",
        >= 1_000 => $"{ns / 1e3:0.0} us",
        _ => $"{ns} ns",
    };
}
