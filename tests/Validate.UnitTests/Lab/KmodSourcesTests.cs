using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

/// <summary>valirq is built per lab kernel from a copy of kmod/'s sources; the copy tracks kmod/ and skips work when nothing changed.</summary>
public class KmodSourcesTests
{
    private DirectoryInfo _root = null!;
    private string Kmod => Path.Combine(_root.FullName, "kmod");
    private string Build => Path.Combine(_root.FullName, "artifacts", "kmod", "6.1.0-57-amd64");

    [SetUp]
    public void SetUp()
    {
        _root = Directory.CreateTempSubdirectory("validate-kmod-");
        Write(Kmod, "Kbuild", "obj-m := valirq.o\nvalirq-y := core.o intr.o\n");
        Write(Kmod, "core.c", "core");
        Write(Kmod, "intr.c", "intr");
        Write(Kmod, "valirq.h", "h");
        Write(Kmod, "include/uapi/linux/valirq.h", "uapi");
        // Not sources: the in-tree build's products, the user-space selftests, the rest.
        Write(Kmod, "valirq.mod.c", "generated");
        Write(Kmod, "valirq.o", "object");
        Write(Kmod, "Makefile", "make");
        Write(Kmod, "README.md", "doc");
        Write(Kmod, "selftests/valirq_test.c", "user space");
    }

    [TearDown]
    public void TearDown() => _root.Delete(recursive: true);

    private static void Write(string dir, string rel, string text)
    {
        var p = Path.Combine(dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
    }

    [Test]
    public void The_sources_are_kbuild_c_h_and_include()
    {
        Assert.That(KmodSources.List(Kmod),
            Is.EqualTo(new[] { "Kbuild", "core.c", "include/uapi/linux/valirq.h", "intr.c", "valirq.h" }));
    }

    [Test]
    public void The_build_directory_is_per_release_under_artifacts()
    {
        var layout = RepositoryLayout.Find();
        Assert.That(KmodSources.BuildDir(layout, "6.1.0-57-amd64"), Is.EqualTo(Path.Combine(layout.Root, "artifacts", "kmod", "6.1.0-57-amd64")));
        Assert.That(KmodSources.BuildDir(layout, "6.1.0-57-rt-amd64"), Is.Not.EqualTo(KmodSources.BuildDir(layout, "6.1.0-57-amd64")));
    }

    [Test]
    public void Sync_copies_the_sources_and_nothing_else()
    {
        KmodSources.Sync(Kmod, Build);
        var copied = Directory.EnumerateFiles(Build, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Build, f)).Order(StringComparer.Ordinal);
        Assert.That(copied, Is.EqualTo(KmodSources.List(Kmod)));
        Assert.That(File.ReadAllText(Path.Combine(Build, "include/uapi/linux/valirq.h")), Is.EqualTo("uapi"));
    }

    [Test]
    public void Sync_leaves_unchanged_files_alone_copies_changed_ones_and_removes_stale_ones()
    {
        KmodSources.Sync(Kmod, Build);
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var f in Directory.EnumerateFiles(Build, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(f, old);
        Write(Build, "core.o", "object of the last build");

        Write(Kmod, "intr.c", "intr, changed");
        File.Delete(Path.Combine(Kmod, "valirq.h"));
        Write(Kmod, "ring.c", "new");
        KmodSources.Sync(Kmod, Build);

        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(Build, "core.c")), Is.EqualTo(old), "an unchanged source keeps its time, so make does not rebuild it");
        Assert.That(File.ReadAllText(Path.Combine(Build, "intr.c")), Is.EqualTo("intr, changed"));
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(Build, "intr.c")), Is.GreaterThan(old));
        Assert.That(File.Exists(Path.Combine(Build, "ring.c")), Is.True);
        Assert.That(File.Exists(Path.Combine(Build, "valirq.h")), Is.False, "a source removed from kmod/ is removed from the copy");
        Assert.That(File.Exists(Path.Combine(Build, "core.o")), Is.True, "build products stay");
    }

    [Test]
    public void The_build_key_changes_with_a_source_the_flags_or_the_headers_and_only_then()
    {
        var headers = Path.Combine(_root.FullName, "headers");
        Write(headers, ".config", "CONFIG_PREEMPT_DYNAMIC=y");
        string[] flags = ["M=x", "W=1", "KCFLAGS=-Werror", "modules"];
        string Key(string[]? f = null) => KmodSources.Key(Kmod, KmodSources.List(Kmod), headers, f ?? flags);

        var first = Key();
        Assert.That(Key(), Is.EqualTo(first), "nothing changed: same key, no build");
        Assert.That(Key(["M=x", "W=1", "modules"]), Is.Not.EqualTo(first), "other make flags");
        Write(Kmod, "core.c", "core, changed");
        var second = Key();
        Assert.That(second, Is.Not.EqualTo(first), "a changed source");
        File.SetLastWriteTimeUtc(Path.Combine(headers, ".config"), new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.That(Key(), Is.Not.EqualTo(second), "other headers");
    }

    [Test]
    public void The_modules_built_are_read_from_modules_order()
    {
        Directory.CreateDirectory(Build);
        Assert.That(KmodSources.Modules(Build), Is.Empty, "no build yet");
        Write(Build, "valirq.ko", "");
        Write(Build, "other.ko", "");
        // 6.1 lists the .ko by absolute path, later kernels the .o relative to M=.
        File.WriteAllText(Path.Combine(Build, "modules.order"), $"{Build}/valirq.ko\nother.o\n\nmissing.o\n");
        Assert.That(KmodSources.Modules(Build), Is.EqualTo(new[] { Path.Combine(Build, "valirq.ko"), Path.Combine(Build, "other.ko") }));
    }
}
