using System.Diagnostics;

namespace Validate.Lab;

/// <summary>
/// What the host provides to run the virtual lab: the image and release of the lab kernel of the flavour
/// asked for (<see cref="LabKernel"/>: PREEMPT_RT or Debian's standard kernel), QEMU, the cache for
/// initramfs images and the accelerator probe. <see cref="Detect"/> fails with one line naming what is
/// missing and the package that provides it.
/// </summary>
public sealed class LabHost
{
    private LabHost(RepositoryLayout layout, LabKernel kernel, string kernelRelease, string kernelImage, string qemu, string cacheDir)
    {
        Layout = layout;
        Kernel = kernel;
        KernelRelease = kernelRelease;
        KernelImage = kernelImage;
        Qemu = qemu;
        CacheDir = cacheDir;
    }

    public RepositoryLayout Layout { get; }
    public LabKernel Kernel { get; }
    public string KernelRelease { get; }
    public string KernelImage { get; }
    public string Qemu { get; }
    public string CacheDir { get; }

    /// <summary>Kernel headers for building out-of-tree modules against the lab kernel.</summary>
    public string KernelBuildDir => $"/lib/modules/{KernelRelease}/build";

    /// <summary>The host for the lab booting <paramref name="flavour"/> (default: the PREEMPT_RT kernel).</summary>
    public static LabHost Detect(RepositoryLayout layout, LabKernel? flavour = null, string boot = "/boot", string modules = "/lib/modules")
    {
        flavour ??= LabKernel.Rt;
        var kernel = FindKernel(flavour, boot, modules)
            ?? throw new ValidateException(ExitCodes.SetupError, MissingKernel(flavour, boot));
        var qemu = FindOnPath("qemu-system-x86_64")
            ?? throw new ValidateException(ExitCodes.SetupError, "qemu-system-x86_64 not found; install it: apt-get install qemu-system-x86");
        if (FindOnPath("busybox") is null)
            throw new ValidateException(ExitCodes.SetupError, "busybox not found; install it: apt-get install busybox-static");
        if (FindOnPath("setpriv") is null)
            throw new ValidateException(ExitCodes.SetupError, "setpriv not found; install it: apt-get install util-linux");
        var cache = Environment.GetEnvironmentVariable("VALIDATE_CACHE") is { Length: > 0 } c ? c : "/var/cache/validate/vlab";
        return new LabHost(layout, flavour, kernel.Release, kernel.Image, qemu, cache);
    }

    /// <summary>One line: which kernel is missing for <c>--kernel NAME</c> and the packages that provide it.</summary>
    public static string MissingKernel(LabKernel flavour, string boot = "/boot") =>
        $"--kernel {flavour.Name}: no {flavour.Description} in {boot} (vmlinuz-*-{flavour.Flavour} with its modules); install it: {flavour.InstallHint}";

    /// <summary>The newest /boot/vmlinuz-*-rt-amd64 whose modules are installed, by version order.</summary>
    public static (string Release, string Image)? FindRtKernel(string boot = "/boot", string modules = "/lib/modules") =>
        FindKernel(LabKernel.Rt, boot, modules);

    /// <summary>
    /// The newest /boot/vmlinuz-RELEASE of <paramref name="flavour"/> whose modules are installed, by version
    /// order (6.1.0-57-amd64 is generic, 6.1.0-57-rt-amd64 is rt, 6.1.0-57-cloud-amd64 is neither).
    /// </summary>
    public static (string Release, string Image)? FindKernel(LabKernel flavour, string boot = "/boot", string modules = "/lib/modules")
    {
        if (!Directory.Exists(boot)) return null;
        return Directory.EnumerateFiles(boot, "vmlinuz-*")
            .Select(p => (Release: Path.GetFileName(p)["vmlinuz-".Length..], Image: p))
            .Where(k => flavour.Matches(k.Release) && Directory.Exists(Path.Combine(modules, k.Release)))
            .OrderByDescending(k => k.Release, KernelReleaseComparer.Instance)
            .Cast<(string, string)?>()
            .FirstOrDefault();
    }

    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        foreach (var dir in new[] { "/usr/sbin", "/sbin" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Builds (or reuses from the cache) the initramfs for this kernel; returns its path.</summary>
    public string EnsureInitramfs()
    {
        var script = Path.Combine(Layout.VlabScripts, "build-initramfs.sh");
        var (status, stdout, stderr) = ProcessRunner.Capture("/bin/bash", [script, KernelRelease, CacheDir], TimeSpan.FromMinutes(2));
        var path = stdout.Trim();
        if (status != 0 || !File.Exists(path))
            throw new ValidateException(ExitCodes.SetupError, $"building the lab initramfs failed: {FirstLine(stderr, stdout)}");
        return path;
    }

    /// <summary>
    /// "tcg" or "kvm". VALIDATE_VLAB_ACCEL=tcg|kvm forces one. Otherwise KVM is tried once per kernel
    /// and QEMU version with a short deadline (on some hosts /dev/kvm exists but an ordinary guest
    /// kernel hangs under it) and the answer is cached; anything short of a clean probe means TCG.
    /// </summary>
    public string ChooseAccelerator(string initramfs, Action<string> log)
    {
        var forced = Environment.GetEnvironmentVariable("VALIDATE_VLAB_ACCEL");
        if (forced is "tcg" or "kvm") return forced;
        if (!string.IsNullOrEmpty(forced) && forced != "auto")
            throw new ValidateException(ExitCodes.Usage, $"VALIDATE_VLAB_ACCEL='{forced}' is not one of tcg, kvm, auto");
        if (!File.Exists("/dev/kvm")) return "tcg";

        var qemuVersion = ProcessRunner.Capture(Qemu, ["--version"], TimeSpan.FromSeconds(10)).Stdout.Split('\n')[0];
        var key = $"{KernelRelease} {qemuVersion}";
        // One answer per kernel release, so that alternating --kernel rt and generic probes each once.
        var cacheFile = Path.Combine(CacheDir, $"accelerator-{KernelRelease}");
        if (File.Exists(cacheFile))
        {
            var lines = File.ReadAllLines(cacheFile);
            if (lines.Length == 2 && lines[0] == key) return lines[1];
        }

        var deadline = TimeSpan.FromSeconds(10);
        log($"probing KVM for the lab kernel ({deadline.TotalSeconds:0} s at most, once per kernel and QEMU version)");
        var console = Path.Combine(Path.GetTempPath(), $"validate-kvm-probe-{Environment.ProcessId}.log");
        string[] args =
        [
            "--pdeathsig", "SIGKILL", Qemu, "-accel", "kvm", "-M", "q35", "-m", "512", "-nodefaults", "-display", "none",
            "-monitor", "none", "-no-reboot", "-kernel", KernelImage, "-initrd", initramfs,
            "-append", "console=ttyS0 panic=-1 vlab.mode=probe", "-serial", $"file:{console}",
        ];
        ProcessRunner.Capture("setpriv", args, deadline);
        var ok = File.Exists(console) && File.ReadAllText(console).Contains("VLAB-PROBE-OK", StringComparison.Ordinal);
        File.Delete(console);
        var accel = ok ? "kvm" : "tcg";
        log(ok ? "KVM works for the lab kernel" : "KVM did not boot the lab kernel in time; using TCG (software emulation)");
        Directory.CreateDirectory(CacheDir);
        File.WriteAllLines(cacheFile, [key, accel]);
        return accel;
    }

    private static string FirstLine(params string[] texts) =>
        texts.SelectMany(t => t.Split('\n')).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "(no output)";
}

/// <summary>Orders kernel releases like "6.1.0-9-rt-amd64" &lt; "6.1.0-56-rt-amd64" (numeric runs compared as numbers).</summary>
public sealed class KernelReleaseComparer : IComparer<string>
{
    public static readonly KernelReleaseComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return string.CompareOrdinal(x, y);
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var c = decimal.Parse(x[si..i], System.Globalization.CultureInfo.InvariantCulture)
                    .CompareTo(decimal.Parse(y[sj..j], System.Globalization.CultureInfo.InvariantCulture));
                if (c != 0) return c;
            }
            else
            {
                if (x[i] != y[j]) return x[i].CompareTo(y[j]);
                i++;
                j++;
            }
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}
