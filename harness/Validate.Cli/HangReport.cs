using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Diagnostics.Runtime;
using Validate.Cli.Commands;
using Validate.Platform;

namespace Validate.Cli;

/// <summary>
/// What a hung suites runner was doing, written before the run stops it: every thread of the runner and of
/// its children (loads, card drivers) as /proc shows them (state, wait channel, system call, kernel stack
/// where readable: root), then the runner's managed stacks, read by ClrMD attached to the live process from
/// a helper process. Each part that cannot be read says why; the helper has a time limit.
/// </summary>
internal static class HangReport
{
    /// <summary>How long the managed stacks may take (an attach to a process stuck in the kernel can wait).</summary>
    public static readonly TimeSpan ManagedStacksLimit = TimeSpan.FromSeconds(60);

    public static void Write(string path, int pid, string header)
    {
        var sb = new StringBuilder();
        sb.AppendLine(header);
        sb.AppendLine(CultureInfo.InvariantCulture, $"written {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} by validate (pid {Environment.ProcessId})");
        sb.AppendLine();
        sb.AppendLine("== threads, as /proc shows them (the runner, then its children)");
        foreach (var p in new[] { pid }.Concat(Descendants(pid)))
            Process(sb, p);
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"== managed stacks of the runner (pid {pid}), innermost frame first");
        sb.Append(ManagedStacks(pid));
        File.WriteAllText(path, sb.ToString());
    }

    private static void Process(StringBuilder sb, int pid)
    {
        var dir = $"/proc/{pid}";
        var cmd = Read($"{dir}/cmdline")?.Replace('\0', ' ').Trim();
        sb.AppendLine(CultureInfo.InvariantCulture, $"process {pid}: {(string.IsNullOrEmpty(cmd) ? Read($"{dir}/comm")?.Trim() ?? "(gone)" : cmd)}");
        string[] tids;
        try { tids = [.. Directory.GetDirectories($"{dir}/task").Select(Path.GetFileName).OfType<string>().OrderBy(t => int.Parse(t, CultureInfo.InvariantCulture))]; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { sb.AppendLine("  (gone)"); return; }
        foreach (var tid in tids)
        {
            var t = $"{dir}/task/{tid}";
            var name = Read($"{t}/comm")?.Trim() ?? "?";
            var (state, cpu, utime, stime) = Stat(Read($"{t}/stat"));
            var wchan = Read($"{t}/wchan")?.Trim() is { Length: > 0 } w && w != "0" ? w : "-";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"  thread {tid} \"{name}\": state {state}, wchan {wchan}, {Syscall(Read($"{t}/syscall"))}, last on CPU {cpu}, CPU time user {utime} s system {stime} s");
            var stack = Read($"{t}/stack");
            if (stack is null) sb.AppendLine("    kernel stack: not readable (needs root)");
            else foreach (var line in stack.Split('\n', StringSplitOptions.RemoveEmptyEntries)) sb.AppendLine($"    {line.Trim()}");
        }
    }

    /// <summary>State, last CPU and CPU times from /proc/PID/task/TID/stat (fields after the command's closing parenthesis).</summary>
    private static (string State, string Cpu, string Utime, string Stime) Stat(string? stat)
    {
        var f = stat is null ? [] : ThreadActivity.StatFields(stat);
        if (f.Length < 37) return ("?", "?", "?", "?");
        var tick = 100.0; // USER_HZ on Linux
        string Seconds(string v) => long.TryParse(v, CultureInfo.InvariantCulture, out var x) ? (x / tick).ToString("0.00", CultureInfo.InvariantCulture) : "?";
        var state = f[0] switch
        {
            "R" => "R (running)", "S" => "S (sleeping)", "D" => "D (uninterruptible: in the kernel, not killable)",
            "T" => "T (stopped)", "t" => "t (traced)", "Z" => "Z (zombie)", var x => x,
        };
        return (state, f[36], Seconds(f[11]), Seconds(f[12]));
    }

    /// <summary>/proc/PID/task/TID/syscall: the call a blocked thread sits in, named for the ones a hang shows (x86-64 numbers).</summary>
    private static string Syscall(string? text)
    {
        if (text is null) return "system call not readable";
        var first = text.Split(' ', 2)[0].Trim();
        if (first == "running") return "running (not in a system call)";
        if (!int.TryParse(first, CultureInfo.InvariantCulture, out var nr) || nr < 0) return "not in a system call";
        var name = RuntimeInformationIsX64 ? nr switch
        {
            0 => "read", 1 => "write", 7 => "poll", 16 => "ioctl", 23 => "select", 24 => "sched_yield", 34 => "pause", 35 => "nanosleep",
            61 => "wait4", 202 => "futex", 230 => "clock_nanosleep", 232 => "epoll_wait", 247 => "waitid", 270 => "pselect6",
            271 => "ppoll", 281 => "epoll_pwait", 3 => "close", 62 => "kill", 96 => "gettimeofday", 228 => "clock_gettime", 257 => "openat",
            _ => null,
        } : null;
        return name is null ? $"in system call {nr}" : $"in system call {nr} ({name})";
    }

    private static readonly bool RuntimeInformationIsX64 =
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    private static IEnumerable<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var p)) continue;
            var ppid = ThreadActivity.ParentPid($"{d}/stat");
            if (ppid < 0) continue;
            if (!parents.TryGetValue(ppid, out var kids)) parents[ppid] = kids = [];
            kids.Add(p);
        }
        var queue = new Queue<int>([pid]);
        while (queue.TryDequeue(out var p))
            foreach (var k in parents.GetValueOrDefault(p) ?? [])
            {
                yield return k;
                queue.Enqueue(k);
            }
    }

    private static string? Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The managed stacks, read by a helper process (<c>validate dump-stacks PID</c>) with a time limit. Not
    /// from this process: we are the runner's parent, and our runtime's SIGCHLD handler would reap the ptrace
    /// stops ClrMD waits for (ClrMD then waits for ever, and we take a stopped runner for an exited one).
    /// </summary>
    private static string ManagedStacks(int pid)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var (status, stdout, stderr) = ProcessRunner.Capture(Environment.ProcessPath ?? "validate",
                [DumpStacksCommand.Name, pid.ToString(CultureInfo.InvariantCulture)], ManagedStacksLimit);
            if (status == -1) return $"  not read: the reader did not finish within {ManagedStacksLimit.TotalSeconds:0} s\n{stdout}";
            if (status != 0) return $"  not read: {stderr.Trim()}\n{stdout}";
            return stdout + $"  (read in {sw.Elapsed.TotalSeconds:0.0} s)\n";
        }
        catch (Exception e)
        {
            // Diagnostics only: whatever went wrong with the reader is said here, and the rest of the report stands.
            return $"  not read: the reader failed ({e.GetType().Name}: {e.Message.Split('\n', 2)[0]})\n";
        }
    }

    /// <summary>What <c>validate dump-stacks PID</c> prints: each managed thread's frames, innermost first.</summary>
    public static string ReadManagedStacks(int pid)
    {
        var sb = new StringBuilder();
        try
        {
            using var target = DataTarget.AttachToProcess(pid, suspend: true);
            if (target.ClrVersions.Length == 0) return "  not read: no .NET runtime found in the process\n";
            var clr = target.ClrVersions[0];
            // The DAC beside the runtime the process loaded (the shared framework ships it), so it matches by
            // construction: ClrMD's own search asks a symbol server (not on Linux), and its version check reads
            // 0.0 from a libcoreclr.so mapped in memory.
            var dac = Path.Combine(Path.GetDirectoryName(clr.ModuleInfo.FileName) ?? "", "libmscordaccore.so");
            using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
            foreach (var t in runtime.Threads.Where(t => t.IsAlive).OrderBy(t => t.OSThreadId))
            {
                var name = Read($"/proc/{pid}/task/{t.OSThreadId}/comm")?.Trim() ?? "?";
                var frames = t.EnumerateStackTrace().Take(64).ToList();
                if (frames.Count == 0) continue;
                sb.AppendLine(CultureInfo.InvariantCulture, $"  thread {t.OSThreadId} \"{name}\" (managed id {t.ManagedThreadId}):");
                foreach (var f in frames)
                    sb.AppendLine($"    {(f.Method is { } m ? m.Signature ?? m.Name : $"[{f.FrameName ?? f.Kind.ToString()}]")}");
            }
            return sb.Length == 0 ? "  no managed thread had a frame\n" : sb.ToString();
        }
        catch (Exception e)
        {
            // Whatever ClrMD meets (no ptrace permission, a runtime it does not know): the reason, and the /proc part stands.
            return sb + $"  not read: {e.GetType().Name}: {e.Message.Split('\n', 2)[0]}\n";
        }
    }
}
