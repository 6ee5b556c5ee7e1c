using System.Security.Cryptography;
using System.Text;

namespace Validate.Lab;

/// <summary>
/// The sources of the project's kernel module(s) in kmod/ (Kbuild, *.c, *.h, include/), copied into one build
/// directory per kernel release so that each lab kernel gets its own .ko: artifacts/kmod/RELEASE/.
/// Build products of an in-tree build in kmod/ (*.mod.c) and the user-space selftests are not sources.
/// </summary>
public static class KmodSources
{
    /// <summary>Where the module(s) for one kernel release are built.</summary>
    public static string BuildDir(RepositoryLayout layout, string release) => Path.Combine(layout.Artifacts, "kmod", release);

    /// <summary>The sources under <paramref name="kmod"/>, as paths relative to it, in ordinal order.</summary>
    public static IReadOnlyList<string> List(string kmod)
    {
        var files = Directory.EnumerateFiles(kmod).Select(Path.GetFileName).Where(n => IsTopLevelSource(n!)).Select(n => n!);
        var include = Path.Combine(kmod, "include");
        if (Directory.Exists(include))
            files = files.Concat(Directory.EnumerateFiles(include, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(kmod, f)));
        return files.Order(StringComparer.Ordinal).ToList();
    }

    private static bool IsTopLevelSource(string name) =>
        name == "Kbuild" || name.EndsWith(".h", StringComparison.Ordinal)
        || (name.EndsWith(".c", StringComparison.Ordinal) && !name.EndsWith(".mod.c", StringComparison.Ordinal));

    /// <summary>
    /// Makes <paramref name="dir"/> hold exactly kmod/'s sources: a file is copied only when its content
    /// differs (so make rebuilds only what changed), a source that is gone from kmod/ is removed from the
    /// copy, build products are left alone. Returns the sources (relative paths).
    /// </summary>
    public static IReadOnlyList<string> Sync(string kmod, string dir)
    {
        var sources = List(kmod);
        Directory.CreateDirectory(dir);
        foreach (var rel in sources)
        {
            var from = Path.Combine(kmod, rel);
            var to = Path.Combine(dir, rel);
            if (File.Exists(to) && File.ReadAllBytes(to).AsSpan().SequenceEqual(File.ReadAllBytes(from))) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to, overwrite: true);
        }
        var wanted = sources.ToHashSet(StringComparer.Ordinal);
        foreach (var stale in List(dir).Where(rel => !wanted.Contains(rel)))
            File.Delete(Path.Combine(dir, stale));
        return sources;
    }

    /// <summary>
    /// What a build's result depends on: the sources' names and contents, the headers it was built against
    /// (their .config and Module.symvers, by size and time) and the make arguments. Equal keys: nothing to do.
    /// </summary>
    public static string Key(string kmod, IReadOnlyList<string> sources, string kernelBuildDir, IReadOnlyList<string> makeArgs)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => sha.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        Add(string.Join(' ', makeArgs));
        foreach (var name in new[] { ".config", "Module.symvers" })
        {
            var f = new FileInfo(Path.Combine(kernelBuildDir, name));
            Add(f.Exists ? $"{name} {f.Length} {f.LastWriteTimeUtc.Ticks}" : $"{name} absent");
        }
        foreach (var rel in sources)
        {
            Add(rel);
            sha.AppendData(File.ReadAllBytes(Path.Combine(kmod, rel)));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>The .ko files a build in <paramref name="dir"/> made, from its modules.order (lines name x.o or x.ko), that exist.</summary>
    public static IReadOnlyList<string> Modules(string dir)
    {
        var order = Path.Combine(dir, "modules.order");
        if (!File.Exists(order)) return [];
        return File.ReadAllLines(order)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0)
            .Select(l => l.EndsWith(".o", StringComparison.Ordinal) ? l[..^2] + ".ko" : l)
            .Select(l => Path.IsPathRooted(l) ? l : Path.Combine(dir, l))
            .Where(File.Exists)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }
}
