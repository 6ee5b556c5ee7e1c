using System.Diagnostics;
using System.Globalization;

namespace Validate.Lab;

/// <summary>What to run in the lab and how.</summary>
public sealed record LabRunOptions(
    Topology Topology,
    IReadOnlyList<string> Command,
    TimeSpan Timeout,
    string WorkingDirectory,
    string RunDirectory,
    IReadOnlyList<string> Modules,
    string Bind = VirtualLab.DefaultBind);

public enum LabOutcome
{
    /// <summary>The command ran to its end; its status is in <see cref="LabRunResult.CommandStatus"/>.</summary>
    Completed,
    /// <summary>The guest never reported the command's status (init failed, kernel panic, topology wrong).</summary>
    LabFailure,
    /// <summary>The command ran but the guest kernel log has a finding.</summary>
    KernelLogProblem,
    TimedOut,
    Cancelled,
}

public sealed record LabRunResult(
    LabOutcome Outcome,
    int ExitCode,
    int? CommandStatus,
    string Message,
    IReadOnlyList<KernelLogFinding> KernelFindings,
    IReadOnlyList<GuestCard> Cards,
    string RunDirectory,
    string Accelerator,
    TimeSpan Elapsed);

/// <summary>
/// Boots the lab kernel of <see cref="LabHost.Kernel"/> (Debian's PREEMPT_RT kernel by default, or its standard
/// kernel) under QEMU with a topology of cards (rt-setup/vlab/topologies.json), runs one command as root
/// in a chroot of the host's root (read-only, 9p), streams its output (guest ttyS1) and returns its
/// status. The guest kernel console (ttyS0) goes to console.log and the whole dmesg to kernel.log in
/// the run directory; either showing a kernel WARNING, BUG, Oops, "nobody cared", hung task or lockdep
/// splat fails the run. QEMU is started under setpriv --pdeathsig so it dies with us even on SIGKILL,
/// and is killed on timeout or cancellation.
/// </summary>
public sealed class VirtualLab(LabHost host, Action<string> log)
{
    /// <summary>The lab binds its cards to the mainline baseline driver unless told otherwise.</summary>
    public const string DefaultBind = "uio_pci_generic";

    /// <summary>
    /// How long a boot may take to reach the guest's init (its init.log in the run directory) before QEMU is
    /// killed and the guest booted again: VALIDATE_VLAB_BOOT_S, 1 to 600, default 60. A boot reaches init in
    /// 2-3 s of guest time; under TCG a guest now and then stops for good early in the kernel's boot (console
    /// silent after "clocksource: Switched to clocksource hpet", no soft-lockup report: 2 of 12 boots of one
    /// selftest), which no waiting cures.
    /// </summary>
    public const string BootDeadlineVariable = "VALIDATE_VLAB_BOOT_S";

    /// <summary>Boots tried before the lab is declared failed when none reaches init in time.</summary>
    public const int BootAttempts = 3;

    public static TimeSpan BootDeadline(string? seconds) =>
        double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 600
            ? TimeSpan.FromSeconds(v)
            : TimeSpan.FromSeconds(60);

    public LabRunResult Run(LabRunOptions o, Stream output, CancellationToken cancel)
    {
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(o.RunDirectory);
        var runDir = Path.GetFullPath(o.RunDirectory);
        var bootDeadline = BootDeadline(Environment.GetEnvironmentVariable(BootDeadlineVariable));
        for (var attempt = 1; ; attempt++)
        {
            var (result, stalled) = Boot(o, runDir, output, bootDeadline, sw, cancel);
            if (!stalled) return result;
            var last = LastConsoleLine(runDir) ?? "nothing on the console";
            if (attempt == BootAttempts)
                return result with
                {
                    Outcome = LabOutcome.LabFailure, ExitCode = ExitCodes.LabFailure,
                    Message = $"the lab did not run the command: {BootAttempts} boots in a row did not reach the guest's init within {bootDeadline.TotalSeconds:0} s ({BootDeadlineVariable}); the last stopped after \"{last}\" (logs in {runDir})",
                };
            log($"the guest did not reach its init within {bootDeadline.TotalSeconds:0} s (the console stopped after \"{last}\"); QEMU killed, booting again ({attempt + 1} of {BootAttempts})");
        }
    }

    private static string? LastConsoleLine(string runDir)
    {
        var console = Path.Combine(runDir, "console.log");
        return File.Exists(console) ? File.ReadLines(console).LastOrDefault(l => l.Trim().Length > 0)?.Trim() : null;
    }

    /// <summary>One boot: the result, and whether it was stopped because it did not reach init in time (the caller boots again).</summary>
    private (LabRunResult Result, bool Stalled) Boot(LabRunOptions o, string runDir, Stream output, TimeSpan bootDeadline, Stopwatch sw, CancellationToken cancel)
    {
        foreach (var stale in new[] { "exit-status", "kernel.log", "console.log", "init.log", "topology.txt", "qemu.log", "card-ids", GuestTasksFile })
            File.Delete(Path.Combine(runDir, stale));

        var initramfs = host.EnsureInitramfs();
        var accel = host.ChooseAccelerator(initramfs, log);
        File.WriteAllText(Path.Combine(runDir, "command.sh"), CommandScript(o.WorkingDirectory, o.Command));
        File.WriteAllLines(Path.Combine(runDir, "modules"), o.Modules);
        // The cards the guest lists and binds: "0xVENDOR 0xDEVICE" per line, as sysfs spells them.
        File.WriteAllLines(Path.Combine(runDir, "card-ids"), o.Topology.Ids.Select(id => "0x" + id.Replace(":", " 0x", StringComparison.Ordinal)));

        var psi = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in QemuArgs(o, runDir, initramfs, accel)) psi.ArgumentList.Add(a);

        // Started from the caller's thread: PR_SET_PDEATHSIG follows the forking thread, and the CLI
        // calls this from its main thread, which lives as long as the process.
        using var qemu = Process.Start(psi) ?? throw new ValidateException(ExitCodes.SetupError, "cannot start QEMU");
        qemu.StandardInput.Close();
        var pump = new Thread(() => Pump(qemu.StandardOutput.BaseStream, output)) { IsBackground = true, Name = "vlab-output" };
        pump.Start();
        var qemuErr = qemu.StandardError.ReadToEndAsync(CancellationToken.None);

        var timedOut = false;
        var cancelled = false;
        var stalled = false;
        var booted = false;
        var initLog = Path.Combine(runDir, "init.log");
        var deadline = Stopwatch.StartNew();
        // Poll rather than subscribe: nothing outlives this method, and 100 ms is far below any timeout.
        while (!qemu.WaitForExit(100))
        {
            if (cancel.IsCancellationRequested) { cancelled = true; break; }
            if (deadline.Elapsed >= o.Timeout) { timedOut = true; break; }
            // A boot that does not reach the guest's init in time is stopped; Run boots again.
            if (!booted && !(booted = File.Exists(initLog)) && deadline.Elapsed >= bootDeadline) { stalled = true; break; }
        }
        if (timedOut || cancelled || stalled)
        {
            try { qemu.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        qemu.WaitForExit();
        pump.Join(TimeSpan.FromSeconds(5));
        File.WriteAllText(Path.Combine(runDir, "qemu.log"), qemuErr.Result);
        sw.Stop();

        return (Judge(o, runDir, accel, timedOut, cancelled, qemu.ExitCode, qemuErr.Result, sw.Elapsed), stalled);
    }

    private static LabRunResult Judge(LabRunOptions o, string runDir, string accel, bool timedOut, bool cancelled, int qemuStatus, string qemuErr, TimeSpan elapsed)
    {
        var findings = KernelLogScanner.ScanFile(Path.Combine(runDir, "kernel.log"))
            .Concat(KernelLogScanner.ScanFile(Path.Combine(runDir, "console.log")))
            .DistinctBy(f => f.Line)
            .ToList();
        var topologyFile = Path.Combine(runDir, "topology.txt");
        var cards = File.Exists(topologyFile) ? GuestCard.ParseList(File.ReadAllText(topologyFile)) : [];
        var statusFile = Path.Combine(runDir, "exit-status");
        int? status = File.Exists(statusFile) && int.TryParse(File.ReadAllText(statusFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;

        LabRunResult R(LabOutcome outcome, int exit, string message) =>
            new(outcome, exit, status, message, findings, cards, runDir, accel, elapsed);

        if (cancelled)
            return R(LabOutcome.Cancelled, ExitCodes.Interrupted, $"interrupted; QEMU killed (logs in {runDir})");
        if (timedOut)
        {
            var tasks = File.Exists(Path.Combine(runDir, GuestTasksFile))
                ? $"; what the guest's tasks were doing {DumpMargin(o.Timeout).TotalSeconds:0} s before: {GuestTasksFile}" : "";
            return R(LabOutcome.TimedOut, ExitCodes.Timeout,
                $"timeout: the command was still running after {o.Timeout.TotalSeconds:0} s; QEMU killed{tasks} (logs in {runDir})");
        }
        if (status is null)
        {
            var why = findings.FirstOrDefault(f => f.Kind == "kernel panic")?.ToString()
                      ?? LastInitError(runDir)
                      ?? (qemuStatus != 0 ? $"QEMU exited with {qemuStatus}: {qemuErr.Trim().Split('\n')[0]}" : "the guest powered off without reporting a status");
            return R(LabOutcome.LabFailure, ExitCodes.LabFailure, $"the lab did not run the command to its end: {why} (logs in {runDir})");
        }
        if (findings.Count > 0)
        {
            var more = findings.Count > 1 ? $" and {findings.Count - 1} more" : "";
            return R(LabOutcome.KernelLogProblem, ExitCodes.KernelLogProblem,
                $"guest kernel log: {findings[0]}{more}; the command itself exited with {status}");
        }
        if (o.Topology.Verify(cards) is { } mismatch)
            return R(LabOutcome.LabFailure, ExitCodes.LabFailure, mismatch);
        // A command that ended after the guest began its pre-timeout dump was disturbed by it (stacks read, processes suspended).
        var dumped = File.Exists(Path.Combine(runDir, GuestTasksFile))
            ? $"; it was still running {DumpMargin(o.Timeout).TotalSeconds:0} s before the timeout, when the guest wrote {GuestTasksFile} (which suspended its .NET processes a moment)" : "";
        return R(LabOutcome.Completed, status.Value, $"command exited with {status} ({elapsed.TotalSeconds:0.0} s, {accel}){dumped}");
    }

    private static string? LastInitError(string runDir)
    {
        var console = Path.Combine(runDir, "console.log");
        if (!File.Exists(console)) return null;
        return File.ReadLines(console).LastOrDefault(l => l.StartsWith("vlab-init: ", StringComparison.Ordinal));
    }

    private IEnumerable<string> QemuArgs(LabRunOptions o, string runDir, string initramfs, string accel)
    {
        string[] common =
        [
            "--pdeathsig", "SIGKILL", host.Qemu,
            "-accel", accel, "-m", "2048", "-smp", "2",
            // Threads named by what they run ("CPU 1/TCG", "CPU 0/TCG", the main loop as qemu-system-x86): on the
            // host, top -H or a trace says which vCPU (the measuring one is CPU 1) was running or waiting.
            "-name", "vlab,debug-threads=on",
            "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot",
            "-kernel", host.KernelImage, "-initrd", initramfs,
            "-append", $"console=ttyS0 loglevel=7 panic=-1 vlab.out={runDir} vlab.topology={o.Topology.Name} vlab.bind={o.Bind} vlab.kernel={host.Kernel.Name} {DumpArgs(o.Timeout)}{o.Topology.KernelArgs}".TrimEnd(),
            // ttyS0: kernel console to a file; ttyS1: the command's output, to our stdout.
            "-serial", $"file:{Path.Combine(runDir, "console.log")}", "-serial", "stdio",
        ];
        // The topology first (an IOMMU must come before the PCI devices it translates), then the shares.
        string[] shares =
        [
            // The host's root read-only and the run directory writable, both at fixed slots away from the cards'.
            "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot,addr=0x10",
            "-fsdev", $"local,id=vlabout,path={runDir},security_model=none",
            "-device", "virtio-9p-pci,fsdev=vlabout,mount_tag=vlabout,addr=0x11",
        ];
        return common.Concat(o.Topology.QemuDeviceArgs()).Concat(shares);
    }

    /// <summary>In the run folder: what the guest's tasks were doing shortly before the timeout (rt-setup/vlab/init.sh).</summary>
    public const string GuestTasksFile = "guest-tasks.txt";

    /// <summary>
    /// How long before the timeout the guest writes <see cref="GuestTasksFile"/>: a third of it, at most a minute
    /// (under emulation the managed stacks of one .NET process take about 10 s).
    /// </summary>
    public static TimeSpan DumpMargin(TimeSpan timeout) => TimeSpan.FromSeconds(Math.Min(60, timeout.TotalSeconds / 3));

    /// <summary>
    /// The guest's dump time, on the host's clock (the guest's starts from it), and the validate CLI it reads
    /// managed stacks with; the watcher in the guest sleeps until then, once.
    /// </summary>
    private static string DumpArgs(TimeSpan timeout)
    {
        var at = DateTimeOffset.UtcNow + timeout - DumpMargin(timeout);
        var cli = Environment.ProcessPath is { } p && Path.GetFileName(p) == "validate" && !p.Contains(' ', StringComparison.Ordinal) ? $"vlab.validate={p} " : "";
        return string.Create(CultureInfo.InvariantCulture, $"vlab.dumpat={at.ToUnixTimeSeconds()} {cli}");
    }

    /// <summary>The guest's command.sh: cd to the host's working directory when the guest sees it, then exec.</summary>
    public static string CommandScript(string workingDirectory, IReadOnlyList<string> command)
    {
        var cwd = ShellQuote.Quote(workingDirectory);
        return "# written by validate vlab; run by the guest init in a chroot of the host root\n" +
               $"if ! cd {cwd} 2>/dev/null; then echo \"vlab: {workingDirectory.Replace("\"", "", StringComparison.Ordinal)} is not visible in the guest (a scratch tmpfs there?); running in /\" >&2; cd /; fi\n" +
               $"exec {ShellQuote.Join(command)}\n";
    }

    private static void Pump(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
            {
                to.Write(buffer, 0, n);
                to.Flush();
            }
        }
        catch (IOException)
        {
            // QEMU killed or our stdout closed: nothing more to pass on.
        }
    }
}
