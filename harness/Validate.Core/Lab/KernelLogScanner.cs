using System.Text.RegularExpressions;

namespace Validate.Lab;

/// <summary>A line of a kernel log that fails a run, with where it was found.</summary>
public sealed record KernelLogFinding(string Kind, string Line, string File, int LineNumber)
{
    public override string ToString() => $"{Kind}: \"{Line}\" ({File}:{LineNumber})";
}

/// <summary>
/// Finds the kernel messages that fail a run: WARN(), BUG, Oops, "irq N: nobody cared", hung tasks,
/// lockdep and RCU splats, soft/hard lockups, panics. Patterns are case-sensitive and anchored on the
/// kernel's own wording, so that "This is not a bug." in a boot log does not count.
/// </summary>
public static partial class KernelLogScanner
{
    private static readonly (string Kind, Regex Pattern)[] Patterns =
    [
        ("kernel WARNING", WarningRegex()),
        ("kernel BUG", BugRegex()),
        ("kernel Oops", OopsRegex()),
        ("general protection fault", GpfRegex()),
        ("interrupt nobody cared", NobodyCaredRegex()),
        ("hung task", HungTaskRegex()),
        ("lockdep splat", LockdepRegex()),
        ("RCU stall", RcuStallRegex()),
        ("lockup", LockupRegex()),
        ("kernel panic", PanicRegex()),
        ("sanitizer report", SanitizerRegex()),
    ];

    public static IReadOnlyList<KernelLogFinding> Scan(IEnumerable<string> lines, string file)
    {
        var found = new List<KernelLogFinding>();
        var n = 0;
        foreach (var raw in lines)
        {
            n++;
            var line = raw.TrimEnd('\r');
            foreach (var (kind, pattern) in Patterns)
            {
                if (pattern.IsMatch(line))
                {
                    found.Add(new KernelLogFinding(kind, line.Trim(), file, n));
                    break;
                }
            }
        }
        return found;
    }

    public static IReadOnlyList<KernelLogFinding> ScanFile(string path) =>
        File.Exists(path) ? Scan(File.ReadLines(path), path) : [];

    [GeneratedRegex(@"\bWARNING: ")] private static partial Regex WarningRegex();
    [GeneratedRegex(@"\bBUG: |kernel BUG at ")] private static partial Regex BugRegex();
    [GeneratedRegex(@"\bOops: ")] private static partial Regex OopsRegex();
    [GeneratedRegex(@"general protection fault")] private static partial Regex GpfRegex();
    [GeneratedRegex(@"irq \d+: nobody cared")] private static partial Regex NobodyCaredRegex();
    [GeneratedRegex(@"blocked for more than \d+ seconds")] private static partial Regex HungTaskRegex();
    [GeneratedRegex(@"possible circular locking dependency|possible recursive locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage|trying to register non-static key")]
    private static partial Regex LockdepRegex();
    [GeneratedRegex(@"rcu: INFO: .*detected stalls|rcu_(preempt|sched) detected stalls")] private static partial Regex RcuStallRegex();
    [GeneratedRegex(@"soft lockup - CPU#|Watchdog detected hard LOCKUP")] private static partial Regex LockupRegex();
    [GeneratedRegex(@"Kernel panic - not syncing")] private static partial Regex PanicRegex();
    [GeneratedRegex(@"\b(UBSAN|KASAN|KCSAN|KFENCE): ")] private static partial Regex SanitizerRegex();
}
