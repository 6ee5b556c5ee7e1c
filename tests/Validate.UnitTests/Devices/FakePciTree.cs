using System.Globalization;

namespace Validate.UnitTests.Devices;

/// <summary>
/// A fake /sys for the PCI functions a test describes: bus/pci/devices/ADDRESS with the files the kernel
/// writes (vendor, device, revision, class, subsystem ids, irq, resource, config with its capability
/// list), the driver link and the IOMMU group link. Deleted on dispose.
/// </summary>
internal sealed class FakePciTree : IDisposable
{
    public string Sys { get; }

    public FakePciTree() => Sys = Path.Combine(Directory.CreateTempSubdirectory("validate-fake-sysfs-").FullName, "sys");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(Sys)!, recursive: true);

    public string DirOf(string address) => Path.Combine(Sys, "bus/pci/devices", address);

    public string ConfigOf(string address) => Path.Combine(DirOf(address), "config");

    /// <summary>Adds a function; returns its config file's path.</summary>
    public string Add(FakeFunction f)
    {
        var dir = Directory.CreateDirectory(DirOf(f.Address)).FullName;
        void W(string name, string value) => File.WriteAllText(Path.Combine(dir, name), value + "\n");
        W("vendor", $"0x{f.Vendor:x4}");
        W("device", $"0x{f.Device:x4}");
        W("revision", $"0x{f.Revision:x2}");
        W("class", $"0x{f.Class:x6}");
        W("subsystem_vendor", $"0x{f.SubsystemVendor:x4}");
        W("subsystem_device", $"0x{f.SubsystemDevice:x4}");
        W("irq", f.Irq.ToString(CultureInfo.InvariantCulture));
        // resource: six BAR lines and the ROM, "start end flags"; an unused BAR all zero.
        var lines = new List<string>();
        ulong next = 0xfe000000, nextIo = 0xc000;
        for (int i = 0; i < 7; i++)
        {
            var bar = f.Bars.FirstOrDefault(b => b.Index == i);
            if (bar is null) { lines.Add("0x0000000000000000 0x0000000000000000 0x0000000000000000"); continue; }
            ulong flags = bar.Kind switch { "io" => 0x40101, "mem64" => 0x140204, _ => 0x40200 };
            if (bar.Prefetchable) flags |= 0x2000;
            ref var at = ref bar.Kind == "io" ? ref nextIo : ref next;
            lines.Add($"0x{at:x16} 0x{at + bar.Size - 1:x16} 0x{flags:x16}");
            at += Math.Max(bar.Size, 0x1000);
        }
        File.WriteAllLines(Path.Combine(dir, "resource"), lines);
        var config = Path.Combine(dir, "config");
        File.WriteAllBytes(config, Config(f));
        if (f.Driver is { } d)
        {
            var drv = Directory.CreateDirectory(Path.Combine(Sys, "bus/pci/drivers", d)).FullName;
            File.CreateSymbolicLink(Path.Combine(dir, "driver"), drv);
        }
        if (f.IommuGroup is { } g)
        {
            var group = Path.Combine(Sys, "kernel/iommu_groups", g.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(Path.Combine(group, "devices"));
            File.CreateSymbolicLink(Path.Combine(group, "devices", f.Address), dir);
            File.CreateSymbolicLink(Path.Combine(dir, "iommu_group"), group);
        }
        return config;
    }

    /// <summary>256 bytes of type 0 config space: the header, then MSI at 0x50 and MSI-X at 0x70 when present.</summary>
    public static byte[] Config(FakeFunction f)
    {
        var c = new byte[f.HeaderOnly ? 64 : 256];
        void W16(int at, int v) { c[at] = (byte)v; c[at + 1] = (byte)(v >> 8); }
        void W32(int at, uint v) { W16(at, (int)(v & 0xffff)); W16(at + 2, (int)(v >> 16)); }
        W16(0x00, f.Vendor);
        W16(0x02, f.Device);
        W16(0x04, 0x0006 | (f.IntxDisabled ? 0x400 : 0));
        c[0x08] = f.Revision;
        c[0x09] = (byte)f.Class;
        c[0x0a] = (byte)(f.Class >> 8);
        c[0x0b] = (byte)(f.Class >> 16);
        W16(0x2c, f.SubsystemVendor);
        W16(0x2e, f.SubsystemDevice);
        c[0x3c] = (byte)f.Irq;
        c[0x3d] = (byte)f.Pin;
        var caps = new List<int>();
        if (f.MsiVectors > 0) caps.Add(0x50);
        if (f.MsixVectors > 0) caps.Add(0x70);
        if (caps.Count == 0) return c;
        W16(0x06, 0x10);
        c[0x34] = (byte)caps[0];
        if (c.Length < 0x80) return c; // an unprivileged reader's view: the pointer leads past what was read
        c[0x40] = 0x01; // a PM capability nobody points at: only the list counts
        if (f.MsiVectors > 0)
        {
            c[0x50] = 0x05;
            c[0x51] = (byte)(f.MsixVectors > 0 ? 0x70 : 0);
            // Message Control: Multiple Message Capable (log2 of the vectors) in bits 3:1, 64-bit address in bit 7.
            W16(0x52, (System.Numerics.BitOperations.Log2((uint)f.MsiVectors) << 1) | 0x80);
        }
        if (f.MsixVectors > 0)
        {
            c[0x70] = 0x11;
            c[0x71] = 0;
            W16(0x72, f.MsixVectors - 1);
            W32(0x74, f.MsixTableOffset | (uint)f.MsixTableBar);
            W32(0x78, (f.MsixTableOffset + 0x800) | (uint)f.MsixTableBar);
        }
        return c;
    }
}

/// <summary>A BAR of a fake function: kind "mem32", "mem64" or "io".</summary>
internal sealed record FakeBar(int Index, string Kind, ulong Size, bool Prefetchable = false);

/// <summary>What a fake function is: ids, BARs, interrupts (MSI and MSI-X vectors, 0 for none; INTx pin, 0 for none), driver, IOMMU group.</summary>
internal sealed record FakeFunction(
    string Address,
    ushort Vendor,
    ushort Device,
    byte Revision,
    uint Class,
    IReadOnlyList<FakeBar> Bars,
    int MsiVectors = 0,
    int MsixVectors = 0,
    int MsixTableBar = 0,
    uint MsixTableOffset = 0,
    int Pin = 1,
    int Irq = 11,
    string? Driver = null,
    int? IommuGroup = null,
    ushort SubsystemVendor = 0,
    ushort SubsystemDevice = 0,
    bool IntxDisabled = false,
    bool HeaderOnly = false);
