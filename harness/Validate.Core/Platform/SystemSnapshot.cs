using System.Globalization;
using System.Text.RegularExpressions;

namespace Validate.Platform;

/// <summary>
/// What decides latency on this machine, read from /proc and /sys at the start of a run: kernel and
/// preemption model, the command line's RT parameters, RT throttling, CPU model, frequency governors,
/// idle states, whether this is the virtual lab. Missing files read as null, never as an error: a
/// snapshot describes whatever machine it finds.
/// </summary>
public sealed partial record SystemSnapshot(
    string Hostname,
    string KernelRelease,
    string KernelVersion,
    bool PreemptRt,
    string PreemptionModel,
    string CommandLine,
    IReadOnlyDictionary<string, string> RtCommandLine,
    long? SchedRtRuntimeUs,
    long? SchedRtPeriodUs,
    string? CpuModel,
    int OnlineCpus,
    IReadOnlyDictionary<string, string> Governors,
    IReadOnlyList<string> IdleStates,
    bool VirtualLab,
    string? VirtualLabTopology,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// SHA-256 (first 16 hex digits) of the running kernel's configuration, /proc/config.gz unpacked or
    /// /boot/config-RELEASE: two kernels with one release string but another configuration are not alike.
    /// Null when neither is readable.
    /// </summary>
    public string? KernelConfigHash { get; init; }

    private static readonly string[] RtParameters = ["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity", "nohz", "idle", "intel_idle.max_cstate", "processor.max_cstate", "threadirqs", "preempt", "mitigations", "skew_tick", "nosoftlockup", "tsc"];

    public static SystemSnapshot Capture(string proc = "/proc", string sys = "/sys")
    {
        var version = Read($"{proc}/sys/kernel/version") ?? "";
        var realtime = Read($"{sys}/kernel/realtime") == "1";
        var preemptRt = realtime || version.Contains("PREEMPT_RT", StringComparison.Ordinal);
        var model = preemptRt ? "PREEMPT_RT" : PreemptModel().Match(version) is { Success: true } m ? m.Value : "unknown";
        // (vlab.out= is where the virtual lab writes this run's files: it changes every run and decides nothing.)
        var cmdline = string.Join(' ', (Read($"{proc}/cmdline") ?? "").Split(' ').Where(a => !a.StartsWith("vlab.out=", StringComparison.Ordinal)));
        var rtArgs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? arg : arg[..eq];
            if (RtParameters.Contains(key)) rtArgs[key] = eq < 0 ? "" : arg[(eq + 1)..];
        }
        var governors = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var idle = new List<string>();
        var cpuDir = $"{sys}/devices/system/cpu";
        if (Directory.Exists(cpuDir))
        {
            foreach (var dir in Directory.GetDirectories(cpuDir, "cpu*").Where(d => CpuDir().IsMatch(Path.GetFileName(d))).Order(StringComparer.Ordinal))
            {
                if (Read(Path.Combine(dir, "cpufreq", "scaling_governor")) is { } g) governors[Path.GetFileName(dir)] = g;
            }
            var cpu0Idle = Path.Combine(cpuDir, "cpu0", "cpuidle");
            if (Directory.Exists(cpu0Idle))
            {
                foreach (var s in Directory.GetDirectories(cpu0Idle, "state*").Order(StringComparer.Ordinal))
                    idle.Add($"{Read(Path.Combine(s, "name"))} latency={Read(Path.Combine(s, "latency"))}us disabled={Read(Path.Combine(s, "disable"))}");
            }
        }
        var cpuModel = File.Exists($"{proc}/cpuinfo")
            ? File.ReadLines($"{proc}/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var vlabTopology = cmdline.Split(' ').FirstOrDefault(a => a.StartsWith("vlab.topology=", StringComparison.Ordinal))?["vlab.topology=".Length..]
                           ?? Environment.GetEnvironmentVariable("VALIDATE_VLAB_TOPOLOGY");
        var vlab = vlabTopology is { Length: > 0 } || Environment.GetEnvironmentVariable("VALIDATE_VLAB") == "1";
        var runtime = Long(Read($"{proc}/sys/kernel/sched_rt_runtime_us"));
        var warnings = new List<string>();
        if (!preemptRt)
            warnings.Add($"NOT A PREEMPT_RT KERNEL ({model}): latencies measured here say nothing about real-time behaviour");
        if (vlab)
            warnings.Add("virtual lab (emulated): QEMU under software emulation; absolute latencies say nothing about hardware");
        if (runtime is not null and not -1)
            warnings.Add($"RT throttling is on (sched_rt_runtime_us={runtime}): a SCHED_FIFO thread can be stopped for the rest of each period");
        return new SystemSnapshot(
            // VALIDATE_MACHINE: the name this machine has in the history and on the fleet page (rt-setup/lab/validate.conf).
            Environment.GetEnvironmentVariable("VALIDATE_MACHINE") is { Length: > 0 } machine ? machine : Read($"{proc}/sys/kernel/hostname") ?? Environment.MachineName,
            Read($"{proc}/sys/kernel/osrelease") ?? Environment.OSVersion.VersionString,
            version,
            preemptRt,
            model,
            cmdline,
            rtArgs,
            runtime,
            Long(Read($"{proc}/sys/kernel/sched_rt_period_us")),
            cpuModel,
            Environment.ProcessorCount,
            governors,
            idle,
            vlab,
            vlabTopology,
            warnings)
        { KernelConfigHash = KernelConfig(proc, Read($"{proc}/sys/kernel/osrelease")) };
    }

    /// <summary>The hash of the kernel's configuration (see <see cref="KernelConfigHash"/>).</summary>
    internal static string? KernelConfig(string proc, string? release, string boot = "/boot")
    {
        try
        {
            byte[]? config = null;
            if (File.Exists($"{proc}/config.gz"))
            {
                using var gz = new System.IO.Compression.GZipStream(File.OpenRead($"{proc}/config.gz"), System.IO.Compression.CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                config = ms.ToArray();
            }
            else if (release is { Length: > 0 } && File.Exists($"{boot}/config-{release}"))
                config = File.ReadAllBytes($"{boot}/config-{release}");
            return config is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(config))[..16];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    internal static string? Read(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long? Long(string? s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex("PREEMPT_RT|PREEMPT_DYNAMIC|PREEMPT|voluntary")]
    private static partial Regex PreemptModel();

    [GeneratedRegex("^cpu[0-9]+$")]
    private static partial Regex CpuDir();
}

/// <summary>A card's interrupt as the kernel arranges it: IRQ number, affinity, and the IRQ thread's scheduling.</summary>
public sealed record IrqState(int Irq, string? Affinity, string? EffectiveAffinity, IReadOnlyList<IrqThread> Threads, IReadOnlyList<string> Handlers)
{
    public static IrqState Capture(int irq, string proc = "/proc")
    {
        var threads = new List<IrqThread>();
        if (irq > 0 && Directory.Exists(proc))
        {
            foreach (var dir in Directory.EnumerateDirectories(proc))
            {
                var name = Path.GetFileName(dir);
                if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
                var comm = SystemSnapshot.Read(Path.Combine(dir, "comm"));
                if (comm is null || !comm.StartsWith($"irq/{irq}-", StringComparison.Ordinal)) continue;
                var stat = SystemSnapshot.Read(Path.Combine(dir, "stat"));
                if (stat is null) continue;
                // Fields after the ")" that ends comm: 3 state ... 40 rt_priority, 41 policy.
                var f = ThreadActivity.StatFields(stat);
                var prio = f.Length > 37 ? int.Parse(f[37], CultureInfo.InvariantCulture) : 0;
                var policy = f.Length > 38 ? Realtime.RealtimeCalls.PolicyName(int.Parse(f[38], CultureInfo.InvariantCulture)) : "?";
                threads.Add(new IrqThread(pid, comm, policy, prio));
            }
        }
        var handlers = Devices.ProcInterrupts.Handlers(Path.Combine(proc, "interrupts")).TryGetValue(irq, out var h) ? h : [];
        return new IrqState(irq,
            SystemSnapshot.Read(Path.Combine(proc, "irq", irq.ToString(CultureInfo.InvariantCulture), "smp_affinity_list")),
            SystemSnapshot.Read(Path.Combine(proc, "irq", irq.ToString(CultureInfo.InvariantCulture), "effective_affinity_list")),
            threads, handlers);
    }

    /// <summary>The IRQ numbers an MSI-enabled PCI function uses (sysfs msi_irqs), or empty.</summary>
    public static IReadOnlyList<int> MsiIrqs(string pciAddress) =>
        Directory.Exists($"/sys/bus/pci/devices/{pciAddress}/msi_irqs")
            ? Directory.GetFiles($"/sys/bus/pci/devices/{pciAddress}/msi_irqs").Select(p => int.Parse(Path.GetFileName(p), CultureInfo.InvariantCulture)).ToList()
            : [];
}

public sealed record IrqThread(int Pid, string Name, string Policy, int Priority);
