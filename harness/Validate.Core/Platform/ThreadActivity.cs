using System.Globalization;

namespace Validate.Platform;

/// <summary>One thread of this process as /proc/self/task/TID says: CPU time, context switches, where it may and did last run.</summary>
public sealed record ThreadSample(int Tid, string Name, long CpuNs, long Voluntary, long Involuntary, int LastCpu, IReadOnlyList<int> Allowed,
    long MinorFaults = 0, long MajorFaults = 0);

/// <summary>
/// The process's threads read from /proc/self/task, to see what of ours ran beside the measuring threads
/// during a window (the harness's own cost: the test platform, loggers, the thread pool, the JIT). Reading
/// allocates; it is done before and after a window, never in it.
/// </summary>
public static class ThreadActivity
{
    /// <summary>Clock ticks of utime/stime: USER_HZ, 100 on every Linux architecture we run on.</summary>
    private const long TickNs = 10_000_000;

    public static IReadOnlyList<ThreadSample> Sample(string taskDir = "/proc/self/task")
    {
        var list = new List<ThreadSample>();
        if (!Directory.Exists(taskDir)) return list;
        foreach (var dir in Directory.EnumerateDirectories(taskDir))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) continue;
            try
            {
                var schedstat = Path.Combine(dir, "schedstat");
                if (Parse(tid, File.ReadAllText(Path.Combine(dir, "stat")), File.ReadAllText(Path.Combine(dir, "status")),
                        File.Exists(schedstat) ? File.ReadAllText(schedstat) : null) is { } s) list.Add(s);
            }
            catch (IOException) { } // the thread ended between the listing and the read
            catch (UnauthorizedAccessException) { }
        }
        return list;
    }

    /// <summary>One thread of this process, or null when it is gone.</summary>
    public static ThreadSample? SampleOne(int tid, string taskDir = "/proc/self/task")
    {
        var dir = Path.Combine(taskDir, tid.ToString(CultureInfo.InvariantCulture));
        try
        {
            var schedstat = Path.Combine(dir, "schedstat");
            return Parse(tid, File.ReadAllText(Path.Combine(dir, "stat")), File.ReadAllText(Path.Combine(dir, "status")),
                File.Exists(schedstat) ? File.ReadAllText(schedstat) : null);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// A thread from the text of its stat, status and schedstat files (null when they do not parse). CPU time
    /// is schedstat's first field (ns on the CPU) when the kernel has it (CONFIG_SCHED_INFO), else stat's
    /// utime + stime (clock ticks: 10 ms steps, too coarse for a quiet window's few milliseconds).
    /// </summary>
    public static ThreadSample? Parse(int tid, string stat, string status, string? schedstat = null)
    {
        // stat: "TID (comm) S ppid ...": comm may hold spaces and parentheses; the fields follow the last ')'.
        var open = stat.IndexOf('(');
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open) return null;
        var name = stat[(open + 1)..close];
        var f = StatFields(stat);
        // After comm: state is field 3; utime 14, stime 15, processor 39 (1-based, proc(5)).
        if (f.Length < 37) return null;
        long Field(int n) => long.Parse(f[n - 3], NumberStyles.Integer, CultureInfo.InvariantCulture);
        long voluntary = 0, involuntary = 0;
        IReadOnlyList<int> allowed = [];
        foreach (var line in status.Split('\n'))
        {
            var kv = line.Split(':', 2);
            if (kv.Length != 2) continue;
            var v = kv[1].Trim();
            switch (kv[0])
            {
                case "voluntary_ctxt_switches": voluntary = long.Parse(v, CultureInfo.InvariantCulture); break;
                case "nonvoluntary_ctxt_switches": involuntary = long.Parse(v, CultureInfo.InvariantCulture); break;
                case "Cpus_allowed_list": allowed = CpuList(v); break;
            }
        }
        var cpuNs = (Field(14) + Field(15)) * TickNs;
        if (schedstat?.Split(' ', 2)[0] is { } onCpu && long.TryParse(onCpu, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ns)) cpuNs = ns;
        // minflt 10, majflt 12: page faults the thread took (a minor one maps a page in, a major one reads it).
        return new ThreadSample(tid, name, cpuNs, voluntary, involuntary, (int)Field(39), allowed, Field(10), Field(12));
    }

    /// <summary>
    /// The fields of a /proc/PID/stat (or task/TID/stat) line after the command, which may hold spaces and
    /// parentheses: index 0 is field 3 (state), index N is field N + 3 (1-based, proc(5)). Empty when malformed.
    /// </summary>
    public static string[] StatFields(string stat)
    {
        var close = stat.LastIndexOf(')');
        return close < 0 || close + 2 > stat.Length ? [] : stat[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The parent pid (field 4) in a /proc/PID/stat file, or -1 when it cannot be read.</summary>
    public static int ParentPid(string statPath)
    {
        try
        {
            var f = StatFields(File.ReadAllText(statPath));
            return f.Length > 1 && int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : -1;
        }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }

    /// <summary>"0-3,6" as 0,1,2,3,6.</summary>
    public static IReadOnlyList<int> CpuList(string text)
    {
        var cpus = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var r = part.Split('-');
            if (!int.TryParse(r[0], CultureInfo.InvariantCulture, out var a)) continue;
            var b = r.Length > 1 && int.TryParse(r[1], CultureInfo.InvariantCulture, out var e) ? e : a;
            for (var c = a; c <= b; c++) cpus.Add(c);
        }
        return cpus;
    }
}
