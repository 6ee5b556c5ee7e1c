using System.CommandLine;
using Validate.Devices;
using Validate.Platform;
using Validate.Plans;

namespace Validate.Cli.Commands;

/// <summary>
/// validate doctor [PLAN]: is this machine ready to measure? Each check prints OK, WARN or FAIL and, when
/// not OK, the fix. Exit 0 when nothing FAILs, 4 otherwise.
/// </summary>
internal static class DoctorCommand
{

    public static Command Create()
    {
        var plan = new Argument<string?>("plan") { Description = "also check what this plan needs (its card, its driver)", Arity = ArgumentArity.ZeroOrOne };
        var lab = new Option<bool>("--lab") { Description = $"also check the lab-machine set-up of rt-setup/lab/setup.sh ({Platform.LabMachine.ConfigPath}, kernel command line, DKMS, udev, limits, binding at boot, nightly units)" };
        var cmd = new Command("doctor", "Check that this machine is ready for real-time measurement (kernel, limits, module, cards, permissions), each with its fix.") { plan, lab };
        cmd.SetAction(p => Run(p.GetValue(plan), p.GetValue(lab)));
        return cmd;
    }

    private static int Run(string? planPath, bool lab)
    {
        var checks = new List<Check>();
        void Add(CheckLevel l, string what, string? fix = null) => checks.Add(new Check(l, what, fix));

        var env = SystemSnapshot.Capture();
        Add(env.PreemptRt ? CheckLevel.Ok : CheckLevel.Fail, $"kernel {env.KernelRelease}: {env.PreemptionModel}",
            env.PreemptRt ? null : "install and boot a PREEMPT_RT kernel: apt-get install linux-image-rt-amd64 (rt-setup/README.md)");
        foreach (var key in new[] { "isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity" })
            Add(env.RtCommandLine.ContainsKey(key) ? CheckLevel.Ok : CheckLevel.Warn, $"kernel command line {key}{(env.RtCommandLine.TryGetValue(key, out var v) ? "=" + v : ": not set")}",
                env.RtCommandLine.ContainsKey(key) ? null : $"reserve measuring CPUs: add {key}=... to the kernel command line (rt-setup)");
        Add(env.SchedRtRuntimeUs is -1 or null ? CheckLevel.Ok : CheckLevel.Warn, $"sched_rt_runtime_us = {env.SchedRtRuntimeUs}",
            env.SchedRtRuntimeUs is -1 or null ? null : "RT throttling stops SCHED_FIFO threads each period: echo -1 > /proc/sys/kernel/sched_rt_runtime_us");
        foreach (var (cpu, g) in env.Governors)
            Add(g == "performance" ? CheckLevel.Ok : CheckLevel.Warn, $"{cpu} frequency governor {g}", g == "performance" ? null : $"echo performance > /sys/devices/system/cpu/{cpu}/cpufreq/scaling_governor");

        var root = Environment.IsPrivilegedProcess;
        var (rtprioSoft, rtprioHard) = Limit("Max realtime priority");
        var (memlockSoft, _) = Limit("Max locked memory");
        Add(root || rtprioSoft is > 0 ? CheckLevel.Ok : CheckLevel.Fail, $"real-time priority allowed: {(root ? "root" : $"rtprio {rtprioSoft}/{rtprioHard}")}",
            root || rtprioSoft is > 0 ? null : "give the user rtprio: /etc/security/limits.d: @validate - rtprio 95 (services: LimitRTPRIO=95)");
        Add(root || memlockSoft is null ? CheckLevel.Ok : CheckLevel.Fail, $"locked memory allowed: {(root ? "root" : memlockSoft?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited")}",
            root || memlockSoft is null ? null : "allow mlockall: limits.d: @validate - memlock unlimited (services: LimitMEMLOCK=infinity)");
        var dma = File.Exists(Realtime.CpuDmaLatency.Path);
        Add(dma ? CheckLevel.Ok : CheckLevel.Warn, $"{Realtime.CpuDmaLatency.Path} {(dma ? "present" : "missing")}", dma ? null : "a kernel with PM QoS (CONFIG_PM) lets the harness keep CPUs out of deep idle states");

        var valirq = Directory.Exists("/sys/module/valirq");
        Add(valirq ? CheckLevel.Ok : CheckLevel.Warn, $"valirq module {(valirq ? "loaded" : "not loaded")}", valirq ? null : "make -C kmod && insmod kmod/valirq.ko (DKMS on lab machines: rt-setup)");
        if (valirq)
        {
            // valirq's test hooks (stimulus, revoke, barN) are in debugfs: every valirq suite raises through them.
            var mounted = Interop.ValirqDebugfs.IsMounted();
            Add(mounted ? CheckLevel.Ok : CheckLevel.Fail, $"debugfs {(mounted ? "mounted" : "not mounted")} at {Interop.ValirqDebugfs.Root} (valirq's stimulus, revoke and BAR hooks)",
                mounted ? null : Interop.ValirqDebugfs.Mount + " (systemd mounts it at boot: sys-kernel-debug.mount)");
            // valirq's open needs CAP_SYS_RAWIO and is refused under kernel lockdown (as sysfs resource mmap is).
            if (Interop.ValirqDebugfs.Lockdown() is { } lockdown)
                Add(lockdown == "none" ? CheckLevel.Ok : CheckLevel.Fail, $"kernel lockdown: {lockdown}",
                    lockdown == "none" ? null : "valirq refuses its devices under kernel lockdown (LOCKDOWN_PCI_ACCESS), which Debian turns on with Secure Boot: disable Secure Boot on a lab machine (or mokutil --disable-validation)");
            if (!root)
                Add(CheckLevel.Warn, "not root: valirq's devices need CAP_SYS_RAWIO and its debugfs hooks root", "run valirq plans as root (the nightly service does)");
            if (mounted && root)
            {
                var hooks = Directory.Exists(Path.Combine(Interop.ValirqDebugfs.Root, "valirq"));
                Add(hooks ? CheckLevel.Ok : CheckLevel.Fail, $"valirq debugfs hooks {(hooks ? "present" : "missing")} ({Interop.ValirqDebugfs.Root}/valirq)",
                    hooks ? null : $"the loaded valirq is older than UAPI {Interop.Valirq.UapiVersion}: rmmod valirq, then load kmod/valirq.ko of this checkout (or dkms install)");
            }
        }
        var uio = Directory.Exists("/sys/bus/pci/drivers/uio_pci_generic");
        Add(uio ? CheckLevel.Ok : CheckLevel.Warn, $"uio_pci_generic {(uio ? "loaded" : "not loaded")}", uio ? null : "modprobe uio_pci_generic (the baseline backend)");

        if (planPath is not null)
        {
            var plan = PlanLoader.Load(planPath);
            Add(CheckLevel.Ok, $"plan {planPath}: valid, {plan.Suites.Count} suite(s)");
            if (plan.Suites.Any(s => s.Backend != BackendKind.Timer))
            {
                try
                {
                    var card = CardLocator.Find(plan.Card);
                    Add(CheckLevel.Ok, $"card {card.Address} {card.Vendor:x4}:{card.Device:x4} rev {card.Revision:x2}, driver {card.Driver ?? "none"}, IRQ {card.Irq}, MSI {(card.HasMsi ? "yes" : "no")}");
                    if (plan.Suites.Any(s => s.Backend == BackendKind.Valirq) && !valirq)
                        Add(CheckLevel.Fail, "the plan has valirq suites but valirq is not loaded", "insmod valirq.ko (or DKMS)");
                    if (plan.Suites.Any(s => s.Backend == BackendKind.Vfio))
                    {
                        var problems = Interop.VfioSetup.Problems(card.Address);
                        if (problems.Count == 0)
                            Add(CheckLevel.Ok, $"vfio: {card.Address} in IOMMU group {Interop.VfioSetup.GroupOf(card.Address, out _)}, alone, vfio-pci loaded");
                        foreach (var p in problems) Add(CheckLevel.Fail, "vfio: " + p);
                        if (!root) Add(CheckLevel.Fail, "vfio: not root", "run as root, or give the lab's user /dev/vfio/N (a udev rule: SUBSYSTEM==\"vfio\", GROUP=\"validate\", MODE=\"0660\") and rlimit memlock");
                        if (plan.Suites.Any(s => s.IsFault && s.Backend == BackendKind.Vfio) && !valirq)
                            Add(CheckLevel.Fail, "the plan's vfio fault suites raise through valirq's debugfs window, but valirq is not loaded", "insmod valirq.ko (or modprobe valirq with DKMS); it needs no card bound to it");
                    }
                }
                catch (ValidateException e)
                {
                    Add(CheckLevel.Fail, e.Message, "check the card is seated and the plan's card ids (validate devices)");
                }
            }
            // The drivers the fault suites start (docs/driver-channel.md).
            foreach (var d in plan.Suites.Where(s => s.Fault is not null).Select(s => s.Fault!.Driver).DistinctBy(d => d.Name))
            {
                var program = Faults.DriverProcess.ResolveProgram(d);
                var ok = File.Exists(program) && (File.GetUnixFileMode(program) & UnixFileMode.UserExecute) != 0;
                if (ok) Add(CheckLevel.Ok, $"driver {d.Name}: {program}");
                else Add(CheckLevel.Fail, $"driver {d.Name}: {program} is missing or not executable",
                    d.Program.StartsWith("artifacts/drivers/", StringComparison.Ordinal) ? "run ./validate once from the checkout (it builds artifacts/drivers/)" : "install the lab's driver there, or fix drivers:" + d.Name + ":program in the plan");
            }
        }

        if (lab) checks.AddRange(LabMachine.Checks().Select(c => c with { What = "lab: " + c.What }));

        foreach (var (level, what, fix) in checks)
        {
            Console.WriteLine($"{level.ToString().ToUpperInvariant(),-4}  {what}");
            if (fix is not null) Console.WriteLine($"      fix: {fix}");
        }
        var fails = checks.Count(c => c.Level == CheckLevel.Fail);
        var warns = checks.Count(c => c.Level == CheckLevel.Warn);
        Console.WriteLine($"doctor: {checks.Count - fails - warns} ok, {warns} warning(s), {fails} failure(s)");
        return fails == 0 ? ExitCodes.Ok : ExitCodes.SetupError;
    }

    /// <summary>A limit from /proc/self/limits: (soft, hard), null meaning unlimited.</summary>
    private static (long? Soft, long? Hard) Limit(string name)
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        if (line is null) return (0, 0);
        var f = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static long? P(string s) => s == "unlimited" ? null : long.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
        return (P(f[0]), P(f[1]));
    }
}
