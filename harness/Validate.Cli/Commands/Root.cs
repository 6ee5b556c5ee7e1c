namespace Validate.Cli.Commands;

/// <summary>Checks shared by the commands that drive the lab or the machine.</summary>
internal static class Root
{
    /// <summary>The virtual lab and device access need root: one line saying so, exit 4.</summary>
    public static void Require(string what)
    {
        if (!Environment.IsPrivilegedProcess)
            throw new ValidateException(ExitCodes.SetupError,
                $"{what} needs root (QEMU, kernel modules, PCI config space); run it as root or with sudo");
    }
}
