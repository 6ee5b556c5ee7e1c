using System.Reflection;
using Mono.Cecil;
using Mono.Cecil.Cil;
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

    [Test]
    public void Only_the_interop_folder_calls_into_libc()
    {
        // Declarations are not enough (the test above): a call of Tmds.LibC from Devices declares nothing.
        // Read the IL of every method outside Validate.Interop and list what it calls into libc.
        var offenders = LibcCallsOutsideInterop(typeof(ExitCodes).Assembly.Location);
        Assert.That(offenders, Is.Empty,
            "libc is called from harness/Validate.Core/Interop/ only (FileDescriptor, Posix, MappedMemory, Scheduling, ...); move these calls there:\n  "
            + string.Join("\n  ", offenders));
    }

    /// <summary>
    /// "Type.Method -> callee" for each call (or ldftn, or field access) from a method of the assembly outside
    /// namespace Validate.Interop into Tmds.Linux.*, into a P/Invoke method, or into Validate.Interop.Libc.
    /// Nested types (closures, iterators, async state machines, local functions' display classes) count
    /// as their outermost declaring type's namespace.
    /// </summary>
    internal static List<string> LibcCallsOutsideInterop(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var offenders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in module.GetTypes())
        {
            if (IsInterop(Outermost(type).Namespace)) continue;
            foreach (var method in type.Methods.Where(m => m.HasBody))
                foreach (var ins in method.Body.Instructions)
                {
                    var callee = ins.Operand switch
                    {
                        MethodReference m when IsLibc(m) => m.DeclaringType.FullName + "." + m.Name,
                        FieldReference f when IsLibcType(f.DeclaringType) => f.DeclaringType.FullName + "." + f.Name,
                        _ => null,
                    };
                    if (callee is not null) offenders.Add($"{type.FullName}.{method.Name} -> {callee}");
                }
        }
        return [.. offenders];
    }

    private static bool IsInterop(string ns) => ns == "Validate.Interop" || ns.StartsWith("Validate.Interop.", StringComparison.Ordinal);

    private static TypeReference Outermost(TypeReference t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    private static bool IsLibcType(TypeReference t)
    {
        var outer = Outermost(t is TypeSpecification s ? s.ElementType : t);
        return outer.Namespace == "Tmds.Linux" || outer.Namespace.StartsWith("Tmds.Linux.", StringComparison.Ordinal)
            || outer.FullName == "Validate.Interop.Libc";
    }

    private static bool IsLibc(MethodReference m) =>
        IsLibcType(m.DeclaringType)
        // A P/Invoke of this assembly (DllImport, or the inner stub a LibraryImport generates); one of
        // another assembly is either Tmds.Linux (above) or not callable (the BCL's are internal).
        || m is MethodDefinition { IsPInvokeImpl: true };

    [Test]
    public void The_libc_call_reader_sees_calls_inside_method_bodies()
    {
        // The reader can fail: Interop's own wrappers call Tmds.LibC and Libc from their bodies, so with
        // Interop counted as an outsider it must find them (the real test skips Interop, not the reader).
        using var module = ModuleDefinition.ReadModule(typeof(ExitCodes).Assembly.Location);
        var calls = module.GetTypes().Where(t => Outermost(t).Namespace == "Validate.Interop")
            .SelectMany(t => t.Methods.Where(m => m.HasBody).SelectMany(m => m.Body.Instructions
                .Select(i => i.Operand).OfType<MethodReference>().Where(IsLibc)
                .Select(c => $"{t.Name}.{m.Name} -> {c.DeclaringType.Name}.{c.Name}")))
            .ToList();
        Assert.That(calls, Has.Some.EqualTo("Posix.Pread -> LibC.pread"));
        Assert.That(calls, Has.Some.EqualTo("FileDescriptor.TryOpen -> LibC.open"));
        Assert.That(calls, Has.Some.EqualTo("Scheduling.SetFifo -> Libc.SchedSetscheduler"));
        Assert.That(calls, Has.Some.Matches<string>(c => c.StartsWith("Libc.", StringComparison.Ordinal)), "the LibraryImport stubs call their P/Invoke");
    }
}
