using System.Globalization;

namespace Validate;

/// <summary>Durations as plans write them: "500ns", "150us", "2ms", "1.5s"; a bare number is ns.</summary>
public static class Duration
{
    /// <summary>The units a duration ends in and their size in ns ("ns" and "ms" before "s": the first that ends the text wins).</summary>
    public static readonly IReadOnlyList<(string Unit, double Scale)> Units = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];

    /// <summary>How messages show a duration.</summary>
    public const string Examples = "\"150us\", \"2ms\", \"1s\"";

    /// <summary>
    /// A positive duration as plans write it, as a regular expression (the JSON Schema of plans): digits, a
    /// fraction and a unit, or whole ns. <see cref="TryParseNs"/> also reads signs, exponents and spaces.
    /// </summary>
    public static string Pattern =>
        $"^(?=[^1-9]*[1-9])(?:[0-9]+(?:\\.[0-9]+)?(?:{string.Join("|", Units.Select(u => u.Unit))})|[0-9]+)$";

    public static long? TryParseNs(string text)
    {
        text = text.Trim();
        foreach (var (unit, scale) in Units)
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
