using System.Globalization;
using System.Text.RegularExpressions;

namespace Validate.Tracing;

/// <summary>The kernel trace events the stage split and the worst-event analysis read.</summary>
public enum TraceKind { IrqEntry, IrqExit, SoftirqEntry, SoftirqExit, Waking, Switch, Marker, Other }

/// <summary>
/// One line of the kernel's text trace, parsed: when (ns of the trace clock, which the harness sets to
/// CLOCK_MONOTONIC: "mono"), on which CPU, in which task, and the fields of the events we read. The text
/// trace prints microseconds: timestamps are whole microseconds.
/// </summary>
public sealed record TraceEvent(long TsNs, int Cpu, int Pid, string Comm, TraceKind Kind, int Line)
{
    /// <summary>irq_handler_entry/exit: the IRQ; softirq: the vector.</summary>
    public int Irq { get; init; } = -1;
    /// <summary>irq_handler_entry: the handler's name; softirq_entry: the action; sched_waking: the woken task's name.</summary>
    public string? Name { get; init; }
    /// <summary>sched_waking: the woken task; sched_switch: the task switched in.</summary>
    public int NextPid { get; init; } = -1;
    public string? NextComm { get; init; }
    public int NextPrio { get; init; } = -1;
    /// <summary>sched_switch: the task switched out, its priority and state.</summary>
    public int PrevPid { get; init; } = -1;
    public string? PrevComm { get; init; }
    public int PrevPrio { get; init; } = -1;
    public string? PrevState { get; init; }
    /// <summary>Our trace marker (<see cref="TraceMarks"/>): the sample's number in the window and its raise stamp; the stage it crossed, if any.</summary>
    public long MarkSample { get; init; } = -1;
    public long MarkRaiseNs { get; init; } = -1;
    public string? MarkCrossed { get; init; }
}

/// <summary>
/// Reads the text of a tracefs <c>trace</c> file: <c>TASK-PID [CPU] FLAGS SECONDS.MICROS: EVENT: FIELDS</c>.
/// Lines it does not know (comments, other events, a line cut short) are skipped, never a failure.
/// </summary>
public static partial class TraceParser
{
    public static List<TraceEvent> Parse(IReadOnlyList<string> lines)
    {
        var events = new List<TraceEvent>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
            if (ParseLine(lines[i], i) is { } e) events.Add(e);
        // Per-CPU buffers are merged by the kernel in time order; a stable sort keeps it so whatever the reader.
        return [.. events.OrderBy(e => e.TsNs)];
    }

    public static TraceEvent? ParseLine(string line, int index = 0)
    {
        if (line.Length == 0 || line[0] == '#') return null;
        var m = Head().Match(line);
        if (!m.Success) return null;
        var ts = Ns(m.Groups["ts"].Value);
        if (ts is null) return null;
        var head = new TraceEvent(ts.Value, Int(m.Groups["cpu"].Value), Int(m.Groups["pid"].Value), m.Groups["comm"].Value.Trim(), TraceKind.Other, index);
        var fields = m.Groups["fields"].Value;
        switch (m.Groups["event"].Value)
        {
            case "irq_handler_entry" when IrqEntry().Match(fields) is { Success: true } f:
                return head with { Kind = TraceKind.IrqEntry, Irq = Int(f.Groups[1].Value), Name = f.Groups[2].Value };
            case "irq_handler_exit" when IrqExit().Match(fields) is { Success: true } f:
                return head with { Kind = TraceKind.IrqExit, Irq = Int(f.Groups[1].Value) };
            case "softirq_entry" when Softirq().Match(fields) is { Success: true } f:
                return head with { Kind = TraceKind.SoftirqEntry, Irq = Int(f.Groups[1].Value), Name = f.Groups[2].Value };
            case "softirq_exit" when Softirq().Match(fields) is { Success: true } f:
                return head with { Kind = TraceKind.SoftirqExit, Irq = Int(f.Groups[1].Value), Name = f.Groups[2].Value };
            case "sched_waking" when Waking().Match(fields) is { Success: true } f:
                return head with { Kind = TraceKind.Waking, Name = f.Groups[1].Value, NextComm = f.Groups[1].Value, NextPid = Int(f.Groups[2].Value), NextPrio = Int(f.Groups[3].Value) };
            case "sched_switch" when Switch().Match(fields) is { Success: true } f:
                return head with
                {
                    Kind = TraceKind.Switch, PrevComm = f.Groups[1].Value, PrevPid = Int(f.Groups[2].Value), PrevPrio = Int(f.Groups[3].Value),
                    PrevState = f.Groups[4].Value, NextComm = f.Groups[5].Value, NextPid = Int(f.Groups[6].Value), NextPrio = Int(f.Groups[7].Value),
                };
            case "tracing_mark_write" when Mark().Match(fields) is { Success: true } f:
                return head with
                {
                    Kind = TraceKind.Marker, MarkSample = Long(f.Groups[1].Value), MarkRaiseNs = Long(f.Groups[2].Value),
                    MarkCrossed = f.Groups[3].Success ? f.Groups[3].Value : null,
                };
            default:
                return head;
        }
    }

    /// <summary>"1234.567890" (seconds.microseconds) as ns.</summary>
    private static long? Ns(string s)
    {
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || !long.TryParse(s.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var sec)) return null;
        var frac = s[(dot + 1)..];
        if (frac.Length is 0 or > 9 || !long.TryParse(frac, NumberStyles.None, CultureInfo.InvariantCulture, out var f)) return null;
        for (int i = frac.Length; i < 9; i++) f *= 10;
        return sec * 1_000_000_000 + f;
    }

    private static long Long(string s) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;

    private static int Int(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : -1;

    // TASK-PID may hold spaces and dashes: the PID is the digits before the last dash ahead of " [CPU]".
    [GeneratedRegex(@"^\s*(?<comm>.*)-(?<pid>\d+)\s+(\(\s*[\d-]+\)\s+)?\[(?<cpu>\d+)\]\s+(?<flags>\S+\s+)?(?<ts>\d+\.\d+):\s+(?<event>\w+):\s?(?<fields>.*)$")]
    private static partial Regex Head();

    [GeneratedRegex(@"^validate sample=(\d+) raise=(\d+)(?: crossed (\S+=\d+))?\s*$")]
    private static partial Regex Mark();

    [GeneratedRegex(@"^irq=(\d+) name=(.*)$")]
    private static partial Regex IrqEntry();

    [GeneratedRegex(@"^irq=(\d+) ret=")]
    private static partial Regex IrqExit();

    [GeneratedRegex(@"^vec=(\d+) \[action=(\w+)\]")]
    private static partial Regex Softirq();

    [GeneratedRegex(@"^comm=(.*) pid=(\d+) prio=(\d+)")]
    private static partial Regex Waking();

    [GeneratedRegex(@"^prev_comm=(.*) prev_pid=(\d+) prev_prio=(\d+) prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=(\d+)")]
    private static partial Regex Switch();
}
