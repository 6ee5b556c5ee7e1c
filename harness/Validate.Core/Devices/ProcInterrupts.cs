using System.Globalization;

namespace Validate.Devices;

/// <summary>One line of /proc/interrupts: the IRQ number, its count summed over the CPUs, and the handlers (action names) on it.</summary>
public sealed record InterruptLine(int Irq, long Count, string[] Handlers);

/// <summary>/proc/interrupts, parsed in one place: counts per line and the handlers sharing it.</summary>
public static class ProcInterrupts
{
    public const string DefaultPath = "/proc/interrupts";

    /// <summary>The numbered lines (not NMI, LOC, ...); empty when the file is not there.</summary>
    public static IReadOnlyList<InterruptLine> Read(string path = DefaultPath)
    {
        var list = new List<InterruptLine>();
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException) { return list; }
        catch (UnauthorizedAccessException) { return list; }
        if (lines.Length == 0) return list;
        var cpus = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !int.TryParse(line.AsSpan(0, colon).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var irq)) continue;
            // The per-CPU counts, then chip name, hwirq-type, and the comma-separated action names.
            var fields = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long sum = 0;
            foreach (var x in fields.Take(cpus))
            {
                if (!long.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) break;
                sum += v;
            }
            var rest = string.Join(' ', fields.Skip(cpus + 2));
            list.Add(new InterruptLine(irq, sum, rest.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        }
        return list;
    }

    /// <summary>Which handlers are on each IRQ number ("uio_pci_generic, uio_pci_generic").</summary>
    public static IReadOnlyDictionary<int, string[]> Handlers(string path = DefaultPath) =>
        Read(path).GroupBy(l => l.Irq).ToDictionary(g => g.Key, g => g.First().Handlers);

    /// <summary>Interrupts of one line so far, over all CPUs; null when the line is not listed.</summary>
    public static long? Count(int irq, string path = DefaultPath) =>
        Read(path).FirstOrDefault(l => l.Irq == irq)?.Count;
}
