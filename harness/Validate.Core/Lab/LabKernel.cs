namespace Validate.Lab;

/// <summary>
/// A kernel flavour the virtual lab can boot (<c>validate vlab --kernel NAME</c>): Debian's PREEMPT_RT kernel
/// (<c>rt</c>, the default: what lab machines run) or Debian's standard kernel (<c>generic</c>: valirq must
/// work, and share lines, where handlers are not force-threaded). Both are found in /boot by their
/// Debian flavour, the part of the release after the version and ABI (6.1.0-57-<b>rt-amd64</b>, 6.1.0-57-<b>amd64</b>).
/// </summary>
public sealed record LabKernel(string Name, string Description, string Flavour, string ImagePackage, string HeadersPackage)
{
    public static readonly LabKernel Rt =
        new("rt", "Debian's PREEMPT_RT kernel", "rt-amd64", "linux-image-rt-amd64", "linux-headers-rt-amd64");

    public static readonly LabKernel Generic =
        new("generic", "Debian's standard kernel", "amd64", "linux-image-amd64", "linux-headers-amd64");

    public static readonly IReadOnlyList<LabKernel> All = [Rt, Generic];

    public const string DefaultName = "rt";

    /// <summary>The kernel named on the command line (<c>--kernel</c>); anything else is a usage error naming the choices.</summary>
    public static LabKernel Get(string name) =>
        All.FirstOrDefault(k => k.Name == name)
        ?? throw new ValidateException(ExitCodes.Usage,
            $"--kernel '{name}': choose one of {string.Join(", ", All.Select(k => $"{k.Name} ({k.Description}{(k.Name == DefaultName ? ", the default" : "")})"))}");

    /// <summary>
    /// The Debian flavour of a kernel release: what follows the version and the ABI number, i.e. from the
    /// first dash-separated part that does not start with a digit ("6.1.0-57-rt-amd64" -> "rt-amd64",
    /// "6.1.0-57-amd64" -> "amd64", "6.12.48+deb13-cloud-amd64" -> "cloud-amd64"); null when there is none.
    /// </summary>
    public static string? FlavourOf(string release)
    {
        var parts = release.Split('-');
        for (var i = 1; i < parts.Length; i++)
        {
            if (parts[i].Length > 0 && !char.IsAsciiDigit(parts[i][0]))
                return string.Join('-', parts[i..]);
        }
        return null;
    }

    /// <summary>Whether an installed release is of this flavour (a cloud or RT kernel is not "generic").</summary>
    public bool Matches(string release) => FlavourOf(release) == Flavour;

    /// <summary>The install command that provides this kernel and its headers.</summary>
    public string InstallHint => $"apt-get install {ImagePackage} {HeadersPackage}";
}
