using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Validate.Interop;

/// <summary>
/// A PCI function opened through VFIO the way a user-space driver (DPDK, SPDK) opens it: its IOMMU group
/// from sysfs, a type1 container, the group set in it, the device descriptor. Every way this fails is
/// one message naming what to fix (no IOMMU, vfio-pci not loaded or not the card's driver, another device
/// in the group, permissions, a group already open). Shared as source by the engine and the card driver
/// (like Vfio.cs), so it throws nothing of either: <see cref="Open"/> returns the error text.
/// Close in reverse order: device, group, container (<see cref="Close"/>).
/// </summary>
public unsafe struct VfioSetup
{
    internal int Container;
    internal int Group;
    internal int Device;
    internal int GroupNumber;
    internal VfioDeviceInfo Info;

    public const string SysfsDevices = "/sys/bus/pci/devices";

    /// <summary>
    /// What stands between the function and a VFIO driver, each with its fix (validate doctor): no IOMMU
    /// group, vfio-pci not loaded, another device in the group not given to VFIO, no /dev/vfio. Empty when
    /// a driver can open it (once bound to vfio-pci). <paramref name="sys"/> and <paramref name="dev"/>: the
    /// sysfs and /dev roots (a test's fake tree).
    /// </summary>
    public static List<string> Problems(string address, string sys = "/sys", string dev = "/dev")
    {
        var problems = new List<string>();
        if (GroupOf(address, out var error, sys) is not { } group)
        {
            problems.Add(error!);
            return problems;
        }
        if (!Directory.Exists(Path.Combine(sys, "bus/pci/drivers/vfio-pci")))
            problems.Add("vfio-pci is not loaded: modprobe vfio-pci (the vfio backend binds the card to it)");
        else if (!File.Exists(Path.Combine(dev, "vfio/vfio")))
            problems.Add($"{dev}/vfio/vfio does not exist although vfio-pci is loaded: is devtmpfs mounted on {dev}?");
        var blockers = GroupBlockers(address, group, sys);
        if (blockers.Count > 0)
            problems.Add($"{address} is not alone in IOMMU group {group}: {string.Join(", ", blockers)} also in it and not given to VFIO; " +
                         "bind those to vfio-pci too, or move the card to a slot with its own group (behind a port with ACS)");
        return problems;
    }

    /// <summary>The function's IOMMU group number, or null (with the fix) when it has none.</summary>
    public static int? GroupOf(string address, out string? error, string sys = "/sys")
    {
        error = null;
        var dev = Path.Combine(sys, "bus/pci/devices", address);
        if (!Directory.Exists(dev))
        {
            error = $"{dev}: no such PCI function; check the card's address (validate devices lists the cards)";
            return null;
        }
        var link = new FileInfo(Path.Combine(dev, "iommu_group"));
        if (link.LinkTarget is not { } target)
        {
            error = $"{address} has no IOMMU group: VFIO needs an IOMMU (this kernel's vfio has no no-IOMMU mode); " +
                    "enable VT-d (AMD-Vi) in the firmware and boot with intel_iommu=on (amd_iommu=on)";
            return null;
        }
        return int.Parse(Path.GetFileName(target), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What else is in the function's group and is not given to VFIO: "ADDRESS (DRIVER)" each; empty when the group is viable.</summary>
    public static List<string> GroupBlockers(string address, int group, string sys = "/sys")
    {
        var blockers = new List<string>();
        var devices = Path.Combine(sys, $"kernel/iommu_groups/{group}/devices");
        if (!Directory.Exists(devices)) return blockers;
        foreach (var d in Directory.GetFileSystemEntries(devices).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (d == address) continue;
            var drv = new FileInfo(Path.Combine(sys, "bus/pci/devices", d!, "driver")).LinkTarget is { } t ? Path.GetFileName(t) : null;
            // vfio's viability rule: no driver, a vfio driver, pci-stub; bridges (pcieport) do not block.
            if (drv is null or "vfio-pci" or "pci-stub" or "pcieport") continue;
            blockers.Add($"{d} ({drv})");
        }
        return blockers;
    }

    /// <summary>Opens <paramref name="address"/> through VFIO; on failure returns false with the error and closes what it opened.</summary>
    public static bool Open(string address, out VfioSetup v, out string error)
    {
        v = default;
        v.Container = v.Group = v.Device = -1;
        var group = GroupOf(address, out var e);
        if (group is null)
        {
            error = e!;
            return false;
        }
        v.GroupNumber = group.Value;
        var driver = new FileInfo(Path.Combine(SysfsDevices, address, "driver")).LinkTarget is { } dt ? Path.GetFileName(dt) : null;
        if (driver != "vfio-pci")
        {
            error = $"{address} is bound to {driver ?? "no driver"}, not vfio-pci: modprobe vfio-pci; " +
                    $"echo vfio-pci > {SysfsDevices}/{address}/driver_override and reprobe it (the harness does this for a run)";
            return false;
        }
        var blockers = GroupBlockers(address, group.Value);
        if (blockers.Count > 0)
        {
            error = $"{address} is not alone in IOMMU group {group}: {string.Join(", ", blockers)} also in it and not given to VFIO; " +
                    "bind those to vfio-pci too, or move the card to a slot with its own group (behind a port with ACS)";
            return false;
        }
        if (!OpenNode("/dev/vfio/vfio", out v.Container, out error)
            || !Check(ioctl(v.Container, (int)VfioIoc.GetApiVersion, null) == Vfio.ApiVersion, "VFIO_GET_API_VERSION", "/dev/vfio/vfio", ref error)
            || !OpenNode($"/dev/vfio/{group}", out v.Group, out error))
        {
            v.Close();
            return false;
        }
        VfioGroupStatus status = default;
        status.Argsz = (uint)sizeof(VfioGroupStatus);
        if (!Call(v.Group, VfioIoc.GroupGetStatus, &status, "VFIO_GROUP_GET_STATUS", $"/dev/vfio/{group}", ref error))
        {
            v.Close();
            return false;
        }
        if ((status.Flags & Vfio.GroupFlagsViable) == 0)
        {
            error = $"IOMMU group {group} of {address} is not viable: a device in it is bound to a host driver; bind every device of {SysfsDevices}/{address}/iommu_group/devices to vfio-pci";
            v.Close();
            return false;
        }
        var container = v.Container;
        var iommu = ioctl(v.Container, (int)VfioIoc.CheckExtension, (void*)Vfio.Type1v2Iommu) > 0 ? Vfio.Type1v2Iommu
            : ioctl(v.Container, (int)VfioIoc.CheckExtension, (void*)Vfio.Type1Iommu) > 0 ? Vfio.Type1Iommu : 0;
        if (iommu == 0)
        {
            error = "/dev/vfio/vfio offers no type1 IOMMU: modprobe vfio_iommu_type1";
            v.Close();
            return false;
        }
        if (!Call(v.Group, VfioIoc.GroupSetContainer, &container, "VFIO_GROUP_SET_CONTAINER", $"/dev/vfio/{group}", ref error)
            || !Call(v.Container, VfioIoc.SetIommu, (void*)iommu, "VFIO_SET_IOMMU", "/dev/vfio/vfio", ref error))
        {
            v.Close();
            return false;
        }
        var name = Encoding.ASCII.GetBytes(address + "\0");
        fixed (byte* p = name)
            v.Device = ioctl(v.Group, (int)VfioIoc.GroupGetDeviceFd, p);
        if (v.Device < 0)
        {
            var en = errno;
            error = en == EBUSY
                ? $"{address}: VFIO_GROUP_GET_DEVICE_FD: busy (another process holds the device open: a driver still running?)"
                : $"{address}: VFIO_GROUP_GET_DEVICE_FD: errno {en}";
            v.Close();
            return false;
        }
        v.Info.Argsz = (uint)sizeof(VfioDeviceInfo);
        fixed (VfioDeviceInfo* info = &v.Info)
            if (!Call(v.Device, VfioIoc.DeviceGetInfo, info, "VFIO_DEVICE_GET_INFO", address, ref error))
            {
                v.Close();
                return false;
            }
        error = "";
        return true;
    }

    /// <summary>The region's size, offset in the device file and flags (VFIO_DEVICE_GET_REGION_INFO), or false with errno.</summary>
    public readonly bool RegionInfo(uint index, out VfioRegionInfo info, out int err)
    {
        info = default;
        info.Argsz = (uint)sizeof(VfioRegionInfo);
        info.Index = index;
        fixed (VfioRegionInfo* p = &info)
            if (ioctl(Device, (int)VfioIoc.DeviceGetRegionInfo, p) < 0)
            {
                err = errno;
                return false;
            }
        err = 0;
        return true;
    }

    /// <summary>How many interrupts of an index the device has and how they behave (VFIO_DEVICE_GET_IRQ_INFO).</summary>
    public readonly bool IrqInfo(uint index, out VfioIrqInfo info, out int err)
    {
        info = default;
        info.Argsz = (uint)sizeof(VfioIrqInfo);
        info.Index = index;
        fixed (VfioIrqInfo* p = &info)
            if (ioctl(Device, (int)VfioIoc.DeviceGetIrqInfo, p) < 0)
            {
                err = errno;
                return false;
            }
        err = 0;
        return true;
    }

    /// <summary>
    /// Signals interrupts <paramref name="start"/>.. of <paramref name="index"/> to <paramref name="eventfds"/>
    /// (-1: none), which enables the index; an empty list disables it. 0, or errno.
    /// </summary>
    public readonly int SetEventfds(uint index, uint start, ReadOnlySpan<int> eventfds)
    {
        VfioIrqSet set = default;
        set.Argsz = VfioIrqSet.SizeFor(eventfds.Length);
        set.Flags = eventfds.Length == 0 ? Vfio.IrqSetDataNone | Vfio.IrqSetActionTrigger : Vfio.IrqSetDataEventfd | Vfio.IrqSetActionTrigger;
        set.Index = index;
        set.Start = eventfds.Length == 0 ? 0 : start;
        set.Count = (uint)eventfds.Length;
        for (var i = 0; i < eventfds.Length && i < Vfio.MaxIrqSetFds; i++) set.Data[i] = eventfds[i];
        return ioctl(Device, (int)VfioIoc.DeviceSetIrqs, &set) < 0 ? errno : 0;
    }

    /// <summary>The unmask of an auto-masked INTx (DATA_NONE | ACTION_UNMASK, [0,0]): allocation-free. 0, or errno.</summary>
    public static int Unmask(int device, uint index)
    {
        VfioIrqSet set = default;
        set.Argsz = VfioIrqSet.HeaderSize;
        set.Flags = Vfio.IrqSetDataNone | Vfio.IrqSetActionUnmask;
        set.Index = index;
        set.Count = 1;
        return ioctl(device, (int)VfioIoc.DeviceSetIrqs, &set) < 0 ? errno : 0;
    }

    /// <summary>
    /// Sets or clears bits of the PCI command register through the config region (vfio-pci leaves bus
    /// mastering to the user, and an MSI is a memory write: without it no message arrives). 0, or errno.
    /// </summary>
    public readonly int UpdateCommand(ushort set, ushort clear)
    {
        if (!RegionInfo(Vfio.PciConfigRegionIndex, out var config, out var err)) return err;
        ushort cmd;
        if (pread(Device, &cmd, 2, (off_t)(long)(config.Offset + PciCommand)) != 2) return errno;
        cmd = (ushort)((cmd | set) & ~clear);
        return pwrite(Device, &cmd, 2, (off_t)(long)(config.Offset + PciCommand)) == 2 ? 0 : errno;
    }

    /// <summary>The PCI command register's offset, and its bus-master bit.</summary>
    public const ushort PciCommand = 0x04, CommandBusMaster = 0x04;

    /// <summary>VFIO_DEVICE_RESET: 0, or errno (ENOTTY/EINVAL: the device has no reset).</summary>
    public readonly int Reset() => ioctl(Device, (int)VfioIoc.DeviceReset, null) < 0 ? errno : 0;

    /// <summary>A new eventfd (non-blocking, close-on-exec), or -errno.</summary>
    public static int NewEventfd()
    {
        var fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        return fd >= 0 ? fd : -errno;
    }

    public void Close()
    {
        // The device first: closing it is what runs vfio-pci's release (IRQs off, bus mastering off, reset).
        if (Device >= 0) _ = close(Device);
        if (Group >= 0) _ = close(Group);
        if (Container >= 0) _ = close(Container);
        Device = Group = Container = -1;
    }

    private static bool OpenNode(string path, out int fd, out string error)
    {
        var bytes = Encoding.ASCII.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            fd = open(p, O_RDWR | O_CLOEXEC);
        if (fd >= 0)
        {
            error = "";
            return true;
        }
        var e = errno;
        error = e == ENOENT && path == "/dev/vfio/vfio" ? "/dev/vfio/vfio does not exist: vfio is not loaded; modprobe vfio-pci"
            : e == ENOENT ? $"{path} does not exist: the card's group has no VFIO node; bind the card to vfio-pci (modprobe vfio-pci)"
            : e == EACCES || e == EPERM ? $"{path}: permission denied; run as root, or give the lab's user the device (a udev rule: SUBSYSTEM==\"vfio\", GROUP=\"validate\", MODE=\"0660\")"
            : e == EBUSY ? $"{path}: busy, the group is open in another process (a driver still running?); stop it first"
            : $"{path}: open failed, errno {e}";
        return false;
    }

    private static bool Check(bool ok, string what, string where, ref string error)
    {
        if (!ok) error = $"{where}: {what}: not VFIO API version {Vfio.ApiVersion}";
        return ok;
    }

    private static bool Call(int fd, uint request, void* arg, string what, string where, ref string error)
    {
        if (ioctl(fd, (int)request, arg) >= 0) return true;
        error = $"{where}: {what}: errno {errno}";
        return false;
    }
}
