using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Validate.Interop;
using Validate.Lab;
using Validate.TestSupport;

namespace Validate.UnitTests.Interop;

/// <summary>
/// The C# mirror of the valirq UAPI matches the header: a C program generated from the C#
/// definitions is compiled against kmod/include/uapi/linux/valirq.h and prints what the C compiler
/// says of every size, field offset, constant and ioctl number; each must equal C#'s.
/// </summary>
public partial class ValirqUapiLayoutTests
{
    private static readonly Type[] Structs =
    [
        typeof(ValirqReg), typeof(ValirqStep), typeof(ValirqProgram), typeof(ValirqQuiesce), typeof(ValirqInit), typeof(ValirqEnable),
        typeof(ValirqStimulus), typeof(ValirqWindow), typeof(ValirqBarInfo), typeof(ValirqInfo), typeof(ValirqEvent),
    ];

    private static Dictionary<string, ulong>? _fromC;

    /// <summary>PascalCase to snake_case: HardirqNs -> hardirq_ns, NAck -> n_ack.</summary>
    public static string Snake(string name) => SnakeBoundary().Replace(name, "$1_$2").ToLowerInvariant();

    [GeneratedRegex("([a-z0-9]|[A-Z](?=[A-Z][a-z]))([A-Z])")] private static partial Regex SnakeBoundary();

    /// <summary>Everything the C# side claims, keyed as the C program prints it.</summary>
    private static Dictionary<string, ulong> FromCSharp()
    {
        var d = new Dictionary<string, ulong>();
        foreach (var t in Structs)
        {
            var c = Snake(t.Name);
            d[$"sizeof {c}"] = (ulong)(int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
            foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Instance))
                d[$"offsetof {c}.{Snake(f.Name)}"] = (ulong)Marshal.OffsetOf(t, f.Name);
        }
        foreach (var f in typeof(Valirq).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
            d[$"VALIRQ_{Snake(f.Name).ToUpperInvariant()}"] = Convert.ToUInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture);
        // The ioctl numbers, whole and taken apart (direction, magic, number, size), so that a mismatch
        // says which part differs; and the magic itself.
        foreach (var f in typeof(ValirqIoc).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var name = $"VALIRQ_IOC_{Snake(f.Name).ToUpperInvariant()}";
            var v = Convert.ToUInt32(f.GetValue(null), System.Globalization.CultureInfo.InvariantCulture);
            d[name] = v;
            if (f.IsLiteral) continue;
            d[$"_IOC_DIR {name}"] = v >> 30;
            d[$"_IOC_TYPE {name}"] = (v >> 8) & 0xff;
            d[$"_IOC_NR {name}"] = v & 0xff;
            d[$"_IOC_SIZE {name}"] = (v >> 16) & 0x3fff;
        }
        for (int bar = 0; bar < 6; bar++)
        {
            d[$"VALIRQ_MMAP_OFFSET({bar})"] = (ulong)Valirq.MmapOffset(bar);
            d[$"VALIRQ_MMAP_OFFSET({bar}) | VALIRQ_MMAP_SIGBUS"] = (ulong)Valirq.MmapOffset(bar, sigbusOnRevoke: true);
        }
        return d;
    }

    private static Dictionary<string, ulong> FromC()
    {
        if (_fromC is not null) return _fromC;
        var cs = FromCSharp();
        var src = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <linux/valirq.h>\nint main(void) {\n");
        foreach (var key in cs.Keys)
        {
            var parts = key.Split(' ');
            var expr = parts[0] switch
            {
                "sizeof" => $"sizeof(struct {parts[1]})",
                "offsetof" => $"offsetof(struct {parts[1].Split('.')[0]}, {parts[1].Split('.')[1]})",
                "_IOC_DIR" or "_IOC_TYPE" or "_IOC_NR" or "_IOC_SIZE" => $"{parts[0]}({parts[1]})",
                _ => $"(unsigned long long)({key})",
            };
            src.Append($"  printf(\"%s=%llu\\n\", \"{key}\", (unsigned long long)({expr}));\n");
        }
        src.Append("  return 0;\n}\n");

        var dir = Directory.CreateTempSubdirectory("validate-uapi-");
        try
        {
            var c = Path.Combine(dir.FullName, "layout.c");
            var exe = Path.Combine(dir.FullName, "layout");
            File.WriteAllText(c, src.ToString());
            var include = Path.Combine(Cli.Layout.Kmod, "include", "uapi");
            var (status, _, err) = ProcessRunner.Capture("cc", ["-Wall", "-Werror", "-I", include, "-o", exe, c], TimeSpan.FromMinutes(1));
            Assert.That(status, Is.Zero, "compiling against the UAPI header failed:\n" + err);
            var (runStatus, output, _) = ProcessRunner.Capture(exe, [], TimeSpan.FromSeconds(30));
            Assert.That(runStatus, Is.Zero);
            _fromC = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('='))
                .ToDictionary(p => p[0], p => ulong.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
            return _fromC;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static IEnumerable<string> Keys() => FromCSharp().Keys;

    [TestCaseSource(nameof(Keys))]
    public void Matches_the_C_header(string key)
    {
        if (LabHost.FindOnPath("cc") is null) Assert.Ignore("no C compiler (cc); apt-get install gcc");
        Assert.That(FromCSharp()[key], Is.EqualTo(FromC()[key]), key);
    }

    [Test]
    public void Every_struct_in_the_header_has_a_csharp_mirror()
    {
        var header = File.ReadAllText(Path.Combine(Cli.Layout.Kmod, "include", "uapi", "linux", "valirq.h"));
        var inHeader = Regex.Matches(header, @"^struct (valirq_\w+) \{", RegexOptions.Multiline).Select(m => m.Groups[1].Value);
        Assert.That(Structs.Select(t => Snake(t.Name)), Is.EquivalentTo(inHeader));
    }

    [Test]
    public void Every_constant_and_ioctl_in_the_header_has_a_csharp_mirror()
    {
        var header = File.ReadAllText(Path.Combine(Cli.Layout.Kmod, "include", "uapi", "linux", "valirq.h"));
        var defined = Regex.Matches(header, @"^#define (VALIRQ_\w+)[\s(]", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.That(defined, Does.Contain("VALIRQ_IOC_MAGIC").And.Contain("VALIRQ_IOC_STIMULUS"), "the header's #defines were read");
        var mirrored = FromCSharp().Keys.Where(k => k.StartsWith("VALIRQ_", StringComparison.Ordinal)).Select(k => k.Split('(')[0]).ToHashSet();
        Assert.That(mirrored, Is.SupersetOf(defined));
    }

    [Test]
    public void The_ioctl_numbers_are_distinct_and_use_the_v2_magic()
    {
        var numbers = typeof(ValirqIoc).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => !f.IsLiteral)
            .Select(f => (Name: f.Name, Value: (uint)f.GetValue(null)!)).ToList();
        Assert.That(numbers.Select(n => n.Value), Is.Unique);
        Assert.That(numbers.Select(n => n.Value & 0xff), Is.Unique, "one ioctl number (_IOC_NR) each");
        Assert.That(numbers.Select(n => (n.Value >> 8) & 0xff), Is.All.EqualTo(0xBEu), "magic 0xBE: 'V' collided with V4L2 and the VT ioctls");
    }
}
