using System.Runtime.InteropServices;
using NUnit.Framework;
using Validate.Interop;

namespace Validate.UnitTests.Interop;

/// <summary>
/// The owners of descriptors and mappings: opened with O_CLOEXEC, closed (unmapped) by Dispose, and a
/// failed open named by call, errno and path.
/// </summary>
public class FileDescriptorTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("validate-fd-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private static string FdLink(int fd) => $"/proc/self/fd/{fd}";

    [Test]
    public void A_failed_open_names_the_call_with_its_flags_errno_and_path()
    {
        var path = Path.Combine(_dir, "missing");
        var e = Assert.Throws<InteropException>(() => FileDescriptor.Open(path, OpenMode.ReadWrite | OpenMode.Sync))!;
        Assert.That((e.Call, e.ErrorNumber, e.Target), Is.EqualTo(("open(O_RDWR|O_SYNC)", Errno.ENOENT, path)));
        Assert.That(e.Message, Does.StartWith($"open(O_RDWR|O_SYNC) on {path}: ENOENT ("));
        Assert.That(FileDescriptor.TryOpen(path, OpenMode.ReadOnly, out var errno), Is.Null);
        Assert.That(errno, Is.EqualTo(Errno.ENOENT));
    }

    [Test]
    public void The_descriptor_is_close_on_exec_and_closed_by_dispose()
    {
        var path = Path.Combine(_dir, "file");
        File.WriteAllText(path, "x");
        int number;
        using (var fd = FileDescriptor.Open(path, OpenMode.ReadOnly | OpenMode.NonBlock))
        {
            number = fd.Number;
            Assert.That(number, Is.GreaterThanOrEqualTo(0));
            Assert.That(fd.Path, Is.EqualTo(path));
            Assert.That(new FileInfo(FdLink(number)).LinkTarget, Is.EqualTo(path));
            // /proc/self/fdinfo/N "flags:" is octal: O_CLOEXEC is 02000000, O_NONBLOCK 04000.
            var flags = File.ReadLines($"/proc/self/fdinfo/{number}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal));
            var value = Convert.ToInt64(flags["flags:".Length..].Trim(), 8);
            Assert.That(value & 0x80000, Is.Not.Zero, "O_CLOEXEC");
            Assert.That(value & 0x800, Is.Not.Zero, "O_NONBLOCK");
        }
        Assert.That(File.Exists(FdLink(number)) && new FileInfo(FdLink(number)).LinkTarget == path, Is.False, "closed by Dispose");
    }

    [Test]
    public void A_mapping_outlives_its_descriptor_and_goes_with_dispose()
    {
        var path = Path.Combine(_dir, "bar");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)i)]);
        MappedMemory map;
        using (var fd = FileDescriptor.Open(path, OpenMode.ReadWrite))
            map = MappedMemory.Map(fd, 4096, 0);
        using (map)
        {
            Assert.That(map.Length, Is.EqualTo((nuint)4096));
            Assert.That(Marshal.ReadByte(map.DangerousGetHandle(), 7), Is.EqualTo(7), "read through the mapping after close");
            Marshal.WriteByte(map.DangerousGetHandle(), 9, 0xAB);
            Assert.That(Mapped(path), Is.True);
        }
        Assert.That(Mapped(path), Is.False, "unmapped by Dispose");
        Assert.That(File.ReadAllBytes(path)[9], Is.EqualTo(0xAB), "MAP_SHARED: the write reached the file");
    }

    [Test]
    public void A_failed_mapping_names_the_call_errno_and_path()
    {
        var path = Path.Combine(_dir, "ro");
        File.WriteAllText(path, "x");
        using var fd = FileDescriptor.Open(path, OpenMode.ReadOnly);
        var e = Assert.Throws<InteropException>(() => MappedMemory.Map(fd, 4096, 0, "mmap(BAR 0)"))!;
        Assert.That((e.Call, e.ErrorNumber, e.Target), Is.EqualTo(("mmap(BAR 0)", Errno.EACCES, path)), "PROT_WRITE on a read-only descriptor");
    }

    private static bool Mapped(string path) =>
        File.ReadLines("/proc/self/maps").Any(l => l.EndsWith(" " + path, StringComparison.Ordinal));

    [Test]
    public void Scheduling_reads_the_calling_thread()
    {
        Assert.That(Scheduling.CurrentThreadId(), Is.GreaterThan(0));
        Assert.That(Scheduling.GetAffinity(0), Is.Not.Empty);
        Assert.That(Scheduling.GetPolicy(0), Is.EqualTo(Scheduling.SchedOther).Or.EqualTo(Scheduling.SchedFifo).Or.GreaterThan(1), "a policy, not -1");
        Assert.That(Scheduling.SetAffinity(0, Scheduling.GetAffinity(0)), Is.Zero);
        Assert.That(() => Scheduling.SetAffinity(0, [Scheduling.CpuSetSize]), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
