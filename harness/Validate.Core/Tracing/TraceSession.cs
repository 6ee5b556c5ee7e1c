using System.Globalization;

namespace Validate.Tracing;

/// <summary>
/// A tracefs instance of our own (<c>instances/validate-PID</c>: the global buffer and anyone else's tracing
/// are left alone) recording the events the stage split and the analysis read, with <c>trace_clock</c>
/// <c>mono</c> so that its timestamps are the harness's CLOCK_MONOTONIC: the hard IRQ and softirq entries
/// and exits, sched_waking and sched_switch, on every CPU. Started before a window and stopped after it;
/// the trace is read after, and the instance removed. Plain file writes and reads of tracefs.
/// </summary>
public sealed class TraceSession : IDisposable
{
    private static readonly string[] Events =
        ["irq/irq_handler_entry", "irq/irq_handler_exit", "irq/softirq_entry", "irq/softirq_exit", "sched/sched_waking", "sched/sched_switch"];

    private readonly string _dir;
    private bool _removed;

    public int BufferKb { get; }

    private TraceSession(string dir, int bufferKb)
    {
        _dir = dir;
        BufferKb = bufferKb;
    }

    /// <summary>Where tracefs is mounted, or null.</summary>
    public static string? Root()
    {
        foreach (var r in new[] { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" })
            if (Directory.Exists(Path.Combine(r, "instances"))) return r;
        return null;
    }

    /// <summary>Why this machine cannot trace, with the fix; null when it can.</summary>
    public static string? Unavailable() =>
        Root() is null ? "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing), or this kernel has no ftrace instances" : null;

    /// <summary>Creates the instance, sets it up (clock, ring, events) and starts recording.</summary>
    public static TraceSession Start(int bufferKb, string name)
    {
        var root = Root() ?? throw new ValidateException(ExitCodes.SetupError, $"cannot trace: {Unavailable()}");
        RemoveOrphans(Path.Combine(root, "instances"));
        var dir = Path.Combine(root, "instances", $"validate-{Environment.ProcessId}-{name}");
        if (Directory.Exists(dir)) Directory.Delete(dir);
        Directory.CreateDirectory(dir);
        var session = new TraceSession(dir, bufferKb);
        try
        {
            session.Write("tracing_on", "0");
            session.Write("trace_clock", "mono");
            session.Write("buffer_size_kb", bufferKb.ToString(CultureInfo.InvariantCulture));
            foreach (var e in Events) session.Write(Path.Combine("events", e, "enable"), "1");
            session.Write("trace", ""); // empty the ring
            session.Write("tracing_on", "1");
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return session;
    }

    public void Stop() => Write("tracing_on", "0");

    /// <summary>The instance's trace_marker (a line written there is recorded in its ring) and tracing_on (0 stops the ring).</summary>
    public string MarkerPath => Path.Combine(_dir, "trace_marker");
    public string TracingOnPath => Path.Combine(_dir, "tracing_on");

    /// <summary>
    /// Instances of runs that were killed (SIGKILL leaves no time to remove one: its ring stays allocated and
    /// recording): validate-PID-* whose process is gone. Removing an instance stops it and frees its ring.
    /// </summary>
    public static void RemoveOrphans(string instances, string proc = "/proc")
    {
        if (!Directory.Exists(instances)) return;
        foreach (var dir in Directory.EnumerateDirectories(instances, "validate-*"))
        {
            var parts = Path.GetFileName(dir).Split('-', 3);
            if (parts.Length < 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _) || Directory.Exists(Path.Combine(proc, parts[1])))
                continue;
            try { Directory.Delete(dir); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The trace as text, one event a line, merged across CPUs in time order by the kernel.</summary>
    public List<string> ReadLines() => [.. File.ReadLines(Path.Combine(_dir, "trace"))];

    /// <summary>Events the ring overwrote, summed over the CPUs (per_cpu/cpuN/stats "overrun:").</summary>
    public long Overrun()
    {
        long sum = 0;
        var perCpu = Path.Combine(_dir, "per_cpu");
        if (!Directory.Exists(perCpu)) return 0;
        foreach (var cpu in Directory.EnumerateDirectories(perCpu))
        {
            var stats = Path.Combine(cpu, "stats");
            if (!File.Exists(stats)) continue;
            foreach (var line in File.ReadLines(stats))
                if (line.StartsWith("overrun:", StringComparison.Ordinal)
                    && long.TryParse(line["overrun:".Length..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) sum += n;
        }
        return sum;
    }

    private void Write(string file, string value) => File.WriteAllText(Path.Combine(_dir, file), value);

    /// <summary>Stops recording and removes the instance (its ring is freed with it). Idempotent.</summary>
    public void Dispose()
    {
        if (_removed) return;
        _removed = true;
        try
        {
            Write("tracing_on", "0");
            Directory.Delete(_dir);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
