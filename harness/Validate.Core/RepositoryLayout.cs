namespace Validate;

/// <summary>Where things are in a checkout of Validate.</summary>
public sealed class RepositoryLayout
{
    private RepositoryLayout(string root) => Root = root;

    public string Root { get; }

    public string VlabScripts => Path.Combine(Root, "rt-setup", "vlab");
    public string Kmod => Path.Combine(Root, "kmod");
    public string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>
    /// Default place for run outputs (lab runs, selftest results, plan runs): VALIDATE_OUT when set; inside
    /// the virtual lab, whose view of the checkout is read-only, the lab's writable results share; else out/.
    /// </summary>
    public string Out =>
        Environment.GetEnvironmentVariable("VALIDATE_OUT") is { Length: > 0 } o ? o
        : Environment.GetEnvironmentVariable("VALIDATE_VLAB_OUT") is { Length: > 0 } lab ? lab
        : Path.Combine(Root, "out");

    /// <summary>Output folder of a built project in this checkout (artifacts layout, Release).</summary>
    public string BinOf(string project) => Path.Combine(Artifacts, "bin", project, "release");

    /// <summary>
    /// The checkout: VALIDATE_ROOT when set (the ./validate script sets it), else the first folder
    /// above <paramref name="start"/> that holds Validate.sln.
    /// </summary>
    public static RepositoryLayout Find(string? start = null)
    {
        if (Environment.GetEnvironmentVariable("VALIDATE_ROOT") is { Length: > 0 } env && File.Exists(Path.Combine(env, "Validate.sln")))
            return new RepositoryLayout(Path.GetFullPath(env));
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Validate.sln")))
                return new RepositoryLayout(dir.FullName);
        }
        throw new ValidateException(ExitCodes.SetupError,
            $"cannot find the Validate checkout above {start ?? AppContext.BaseDirectory}; run from a checkout or set VALIDATE_ROOT");
    }
}
