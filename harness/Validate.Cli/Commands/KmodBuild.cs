using Validate.Lab;

namespace Validate.Cli.Commands;

/// <summary>
/// Builds the project's kernel module(s) against the lab kernel's headers, one build directory per kernel
/// release (<see cref="KmodSources.BuildDir"/>: artifacts/kmod/RELEASE/, a copy of kmod/'s sources), so that
/// the RT and the generic lab kernel each get their own .ko and neither build disturbs kmod/ itself.
/// </summary>
internal static class KmodBuild
{
    /// <summary>
    /// When kmod/ has a Makefile: brings the release's build directory up to date with kmod/'s sources and,
    /// unless the sources, the headers and the flags are those of the last good build, runs
    /// `make -C /lib/modules/RELEASE/build M=DIR W=1 KCFLAGS=-Werror modules`. Returns the .ko files for the
    /// guest to insmod; with no module yet, returns none.
    /// </summary>
    public static IReadOnlyList<string> EnsureBuilt(RepositoryLayout layout, LabHost host, Action<string> log)
    {
        if (!File.Exists(Path.Combine(layout.Kmod, "Makefile"))) return [];
        if (!Directory.Exists(host.KernelBuildDir))
            throw new ValidateException(ExitCodes.SetupError,
                $"{host.KernelBuildDir} missing: the lab kernel's headers are needed to build kmod/; apt-get install {host.Kernel.HeadersPackage}");
        var dir = KmodSources.BuildDir(layout, host.KernelRelease);
        string[] make = ["-C", host.KernelBuildDir, $"M={dir}", "W=1", "KCFLAGS=-Werror", "modules"];
        var sources = KmodSources.Sync(layout.Kmod, dir);
        var key = KmodSources.Key(layout.Kmod, sources, host.KernelBuildDir, make);
        var stampFile = Path.Combine(dir, ".validate-build");
        var built = KmodSources.Modules(dir);
        if (built.Count > 0 && File.Exists(stampFile) && File.ReadAllText(stampFile) == key)
        {
            log($"kernel module(s) for {host.KernelRelease}: {string.Join(", ", built.Select(Path.GetFileName))} (up to date in {dir})");
            return built;
        }

        File.Delete(stampFile);
        var (status, stdout, stderr) = ProcessRunner.Capture("make", make, TimeSpan.FromMinutes(5));
        if (status != 0)
        {
            var first = (stderr + "\n" + stdout).Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? stderr.Trim();
            throw new ValidateException(ExitCodes.SetupError, $"building kmod/ against {host.KernelRelease} failed: {first.Trim()} (sources copied to {dir})");
        }
        built = KmodSources.Modules(dir);
        if (built.Count == 0)
            throw new ValidateException(ExitCodes.SetupError, $"building kmod/ against {host.KernelRelease} produced no .ko in {dir}");
        File.WriteAllText(stampFile, key);
        log($"kernel module(s) for {host.KernelRelease}: {string.Join(", ", built.Select(Path.GetFileName))} (built in {dir})");
        return built;
    }
}
