using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NUnit.Framework;
using Validate.Interop;
using Validate.Lab;

namespace Validate.UnitTests.Interop;

/// <summary>
/// The C# mirror of the VFIO UAPI (Interop/Vfio.cs) matches the system's &lt;linux/vfio.h&gt;: a C program
/// generated from the C# definitions prints what the compiler says of every size, field offset, constant
/// and ioctl number, and each must equal C#'s.
/// </summary>
public class VfioUapiLayoutTests
{
    private static readonly Type[] Structs = [typeof(VfioGroupStatus), typeof(VfioDeviceInfo), typeof(VfioRegionInfo), typeof(VfioIrqInfo)];

    // C names of the constants whose C# name is not the header's in PascalCase.
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["ApiVersion"] = "VFIO_API_VERSION",
        ["Type1Iommu"] = "VFIO_TYPE1_IOMMU",
        ["Type1v2Iommu"] = "VFIO_TYPE1v2_IOMMU",
        ["PciBar0RegionIndex"] = "VFIO_PCI_BAR0_REGION_INDEX",
        ["PciConfigRegionIndex"] = "VFIO_PCI_CONFIG_REGION_INDEX",
        ["PciIntxIrqIndex"] = "VFIO_PCI_INTX_IRQ_INDEX",
        ["PciMsiIrqIndex"] = "VFIO_PCI_MSI_IRQ_INDEX",
        ["PciMsixIrqIndex"] = "VFIO_PCI_MSIX_IRQ_INDEX",
        ["PciErrIrqIndex"] = "VFIO_PCI_ERR_IRQ_INDEX",
        ["PciReqIrqIndex"] = "VFIO_PCI_REQ_IRQ_INDEX",
    };

    private static Dictionary<string, ulong>? _fromC;

    private static Dictionary<string, ulong> FromCSharp()
    {
        var d = new Dictionary<string, ulong>();
        foreach (var t in Structs)
        {
            var c = ValirqUapiLayoutTests.Snake(t.Name);
            d[$"sizeof {c}"] = (ulong)(int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
            foreach (var f in t.GetFields(BindingFlags.Public | BindingFlags.Instance))
                d[$"offsetof {c}.{ValirqUapiLayoutTests.Snake(f.Name)}"] = (ulong)Marshal.OffsetOf(t, f.Name);
        }
        // struct vfio_irq_set: the header, and data[] right after it.
        d["sizeof vfio_irq_set"] = VfioIrqSet.HeaderSize;
        foreach (var f in new[] { "Argsz", "Flags", "Index", "Start", "Count" })
            d[$"offsetof vfio_irq_set.{f.ToLowerInvariant()}"] = (ulong)Marshal.OffsetOf<VfioIrqSet>(f);
        d["offsetof vfio_irq_set.data"] = (ulong)Marshal.OffsetOf<VfioIrqSet>("Data");
        foreach (var f in typeof(Vfio).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.Name != nameof(Vfio.MaxIrqSetFds)))
        {
            var name = Renamed.GetValueOrDefault(f.Name) ?? "VFIO_" + ValirqUapiLayoutTests.Snake(f.Name).ToUpperInvariant();
            d[name] = Convert.ToUInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture);
        }
        foreach (var f in typeof(VfioIoc).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.Name is not ("Type" or "Base")))
            d["VFIO_" + ValirqUapiLayoutTests.Snake(f.Name).ToUpperInvariant()] = Convert.ToUInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture);
        return d;
    }

    private static Dictionary<string, ulong> FromC()
    {
        if (_fromC is not null) return _fromC;
        var src = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <linux/vfio.h>\nint main(void) {\n");
        foreach (var key in FromCSharp().Keys)
        {
            var parts = key.Split(' ');
            var expr = parts[0] switch
            {
                "sizeof" => $"sizeof(struct {parts[1]})",
                "offsetof" => $"offsetof(struct {parts[1].Split('.')[0]}, {parts[1].Split('.')[1]})",
                _ => key,
            };
            src.Append($"  printf(\"%s=%llu\\n\", \"{key}\", (unsigned long long)({expr}));\n");
        }
        src.Append("  return 0;\n}\n");
        var dir = Directory.CreateTempSubdirectory("validate-vfio-uapi-");
        try
        {
            var c = Path.Combine(dir.FullName, "layout.c");
            var exe = Path.Combine(dir.FullName, "layout");
            File.WriteAllText(c, src.ToString());
            var (status, _, err) = ProcessRunner.Capture("cc", ["-Wall", "-Werror", "-o", exe, c], TimeSpan.FromMinutes(1));
            Assert.That(status, Is.Zero, "compiling against <linux/vfio.h> failed:\n" + err);
            var (runStatus, output, _) = ProcessRunner.Capture(exe, [], TimeSpan.FromSeconds(30));
            Assert.That(runStatus, Is.Zero);
            _fromC = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('='))
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
    public void Matches_the_system_vfio_header(string key)
    {
        if (LabHost.FindOnPath("cc") is null) Assert.Ignore("no C compiler (cc); apt-get install gcc");
        if (!File.Exists("/usr/include/linux/vfio.h")) Assert.Ignore("no <linux/vfio.h>; apt-get install linux-libc-dev");
        Assert.That(FromCSharp()[key], Is.EqualTo(FromC()[key]), key);
    }

    [Test]
    public void An_irq_set_carries_its_eventfds_right_after_the_header()
    {
        Assert.That(VfioIrqSet.SizeFor(0), Is.EqualTo((uint)VfioIrqSet.HeaderSize));
        Assert.That(VfioIrqSet.SizeFor(3), Is.EqualTo((uint)VfioIrqSet.HeaderSize + 12));
    }
}
