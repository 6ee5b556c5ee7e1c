using Validate.Lab;

namespace Validate.Cli.Commands;

/// <summary>Builds the project's kernel module(s) in kmod/ against the lab kernel's headers.</summary>
internal static class KmodBuild
{
    /// <summary>
    /// When kmod/ has a Makefile, runs `make -C kmod KDIR=...` (make itself skips work that is done) and
    /// returns the .ko files for the guest to insmod; with no module yet, returns none.
    /// </summary>
    public static IReadOnlyList<string> EnsureBuilt(RepositoryLayout layout, LabHost host, Action<string> log)
    {
        if (!File.Exists(Path.Combine(layout.Kmod, "Makefile"))) return [];
        if (!Directory.Exists(host.KernelBuildDir))
            throw new ValidateException(ExitCodes.SetupError,
                $"{host.KernelBuildDir} missing: the lab kernel's headers are needed to build kmod/; apt-get install linux-headers-rt-amd64");
        var (status, stdout, stderr) = ProcessRunner.Capture("make", ["-C", layout.Kmod, $"KDIR={host.KernelBuildDir}", "WERROR=1", "modules"], TimeSpan.FromMinutes(5));
        if (status != 0)
        {
            var first = (stderr + "\n" + stdout).Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? stderr.Trim();
            throw new ValidateException(ExitCodes.SetupError, $"building kmod/ against {host.KernelRelease} failed: {first.Trim()}");
        }
        var modules = Directory.GetFiles(layout.Kmod, "*.ko").Order(StringComparer.Ordinal).ToList();
        log($"kernel module(s) for the lab: {string.Join(", ", modules.Select(Path.GetFileName))}");
        return modules;
    }
}
