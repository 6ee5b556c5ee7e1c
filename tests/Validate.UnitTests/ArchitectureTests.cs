using System.Reflection;
using NUnit.Framework;
using Validate.TestSupport;

namespace Validate.UnitTests;

/// <summary>Boundaries that matter: the engine draws nothing, tests nothing, prints nothing.</summary>
public class ArchitectureTests
{
    private static readonly Assembly Core = typeof(ExitCodes).Assembly;

    [Test]
    public void The_engine_references_no_test_or_graphics_library()
    {
        var names = Core.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.That(names, Has.None.StartsWith("nunit").IgnoreCase
            .And.None.StartsWith("ScottPlot").And.None.StartsWith("SkiaSharp").And.None.StartsWith("HarfBuzz"));
    }

    [Test]
    public void The_engine_source_writes_nothing_to_the_console()
    {
        var core = Path.Combine(Cli.Layout.Root, "harness", "Validate.Core");
        var offenders = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains("Console.", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Cli.Layout.Root, f))
            .ToList();
        Assert.That(offenders, Is.Empty, "the engine reports through its callers (a log callback or results), never the console");
    }

    [Test]
    public void Native_calls_are_declared_only_in_the_interop_folder()
    {
        var core = Path.Combine(Cli.Layout.Root, "harness");
        var offenders = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Interop{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f) is var t && (t.Contains("[LibraryImport", StringComparison.Ordinal) || t.Contains("[DllImport", StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(Cli.Layout.Root, f))
            .ToList();
        Assert.That(offenders, Is.Empty, "P/Invoke declarations live in harness/Validate.Core/Interop/ only");
    }
}
