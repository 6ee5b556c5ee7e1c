namespace Validate.Interop;

/// <summary>
/// valirq's test hooks in debugfs (root only), one directory per bound function: the stimulus ioctl,
/// revoke, and barN (pread/pwrite of 1, 2 or 4 bytes at an offset aligned to the width), the harness's
/// window on a card whose BARs valirq holds reserved.
/// </summary>
public static class ValirqDebugfs
{
    public const string Root = "/sys/kernel/debug";
    public const string Mount = "mount -t debugfs none /sys/kernel/debug";

    public static string DirOf(string pciAddress) => $"{Root}/valirq/{pciAddress}";
    public static string Stimulus(string pciAddress) => $"{DirOf(pciAddress)}/stimulus";
    public static string Revoke(string pciAddress) => $"{DirOf(pciAddress)}/revoke";
    public static string Bar(string pciAddress, int bar) => $"{DirOf(pciAddress)}/bar{bar}";

    /// <summary>Whether debugfs is mounted at <see cref="Root"/> (/proc/self/mounts).</summary>
    public static bool IsMounted(string mounts = "/proc/self/mounts")
    {
        try
        {
            return File.ReadLines(mounts).Any(l => l.Split(' ') is [_, Root, "debugfs", ..]);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// The kernel's lockdown mode (none, integrity, confidentiality) from securityfs, or null when the
    /// kernel has no lockdown or securityfs is not mounted. valirq refuses its devices under lockdown.
    /// </summary>
    public static string? Lockdown(string path = "/sys/kernel/security/lockdown")
    {
        try
        {
            // "none [integrity] confidentiality": the selected mode is bracketed.
            var text = File.ReadAllText(path);
            var m = System.Text.RegularExpressions.Regex.Match(text, @"\[(\w+)\]");
            return m.Success ? m.Groups[1].Value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Why a debugfs hook of the card cannot be used, with the fix, or null when it can: debugfs not
    /// mounted, no valirq directory for the card (not bound to valirq, or a valirq without the hooks).
    /// </summary>
    public static string? Problem(string pciAddress, string file, string mounts = "/proc/self/mounts")
    {
        if (!IsMounted(mounts))
            return $"debugfs is not mounted at {Root}, where valirq's test hooks are ({file}): {Mount}";
        if (!Environment.IsPrivilegedProcess)
            return $"{file}: valirq's debugfs hooks are root only; run as root";
        if (!File.Exists(file) && !Directory.Exists(DirOf(pciAddress)))
            return $"{file} is missing: the card {pciAddress} is not bound to valirq, or the loaded valirq is older than UAPI {Valirq.UapiVersion} (rebuild and load kmod/)";
        if (!File.Exists(file))
            return $"{file} is missing: the loaded valirq has no such hook (rebuild and load kmod/ of this checkout)";
        return null;
    }
}
