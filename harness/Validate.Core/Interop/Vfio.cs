using System.Runtime.InteropServices;

namespace Validate.Interop;

// The parts of the VFIO UAPI (include/uapi/linux/vfio.h) that the vfio backend and the card driver use,
// in C#. Names follow the header: VfioRegionInfo is struct vfio_region_info, a constant IrqSetDataEventfd
// is VFIO_IRQ_SET_DATA_EVENTFD. tests/Validate.UnitTests/Interop/VfioUapiLayoutTests.cs compiles C
// against the system's <linux/vfio.h> and checks every size, offset, constant and ioctl number here.
// The card driver links this file (and VfioSetup.cs) as source, so it holds nothing else.

/// <summary>Constants of the VFIO UAPI.</summary>
public static class Vfio
{
    public const int ApiVersion = 0;
    public const int Type1Iommu = 1;
    public const int Type1v2Iommu = 3;

    public const uint GroupFlagsViable = 1u << 0;
    public const uint GroupFlagsContainerSet = 1u << 1;

    public const uint DeviceFlagsReset = 1u << 0;
    public const uint DeviceFlagsPci = 1u << 1;

    public const uint RegionInfoFlagRead = 1u << 0;
    public const uint RegionInfoFlagWrite = 1u << 1;
    public const uint RegionInfoFlagMmap = 1u << 2;

    public const uint IrqInfoEventfd = 1u << 0;
    public const uint IrqInfoMaskable = 1u << 1;
    public const uint IrqInfoAutomasked = 1u << 2;
    public const uint IrqInfoNoresize = 1u << 3;

    public const uint IrqSetDataNone = 1u << 0;
    public const uint IrqSetDataBool = 1u << 1;
    public const uint IrqSetDataEventfd = 1u << 2;
    public const uint IrqSetActionMask = 1u << 3;
    public const uint IrqSetActionUnmask = 1u << 4;
    public const uint IrqSetActionTrigger = 1u << 5;

    // vfio-pci's fixed region and IRQ indexes (the header's anonymous enums).
    public const uint PciBar0RegionIndex = 0;
    public const uint PciConfigRegionIndex = 7;
    public const uint PciIntxIrqIndex = 0;
    public const uint PciMsiIrqIndex = 1;
    public const uint PciMsixIrqIndex = 2;
    public const uint PciErrIrqIndex = 3;
    public const uint PciReqIrqIndex = 4;

    /// <summary>Eventfds one <see cref="VfioIrqSet"/> carries here (MSI-X vectors 0 to 31, as valirq's).</summary>
    public const int MaxIrqSetFds = 32;
}

/// <summary>VFIO ioctl numbers: _IO(';', 100 + n), no size or direction encoded.</summary>
public static class VfioIoc
{
    public const uint Type = ';';
    public const uint Base = 100;

    public const uint GetApiVersion = (Type << 8) | (Base + 0);
    public const uint CheckExtension = (Type << 8) | (Base + 1);
    public const uint SetIommu = (Type << 8) | (Base + 2);
    public const uint GroupGetStatus = (Type << 8) | (Base + 3);
    public const uint GroupSetContainer = (Type << 8) | (Base + 4);
    public const uint GroupUnsetContainer = (Type << 8) | (Base + 5);
    public const uint GroupGetDeviceFd = (Type << 8) | (Base + 6);
    public const uint DeviceGetInfo = (Type << 8) | (Base + 7);
    public const uint DeviceGetRegionInfo = (Type << 8) | (Base + 8);
    public const uint DeviceGetIrqInfo = (Type << 8) | (Base + 9);
    public const uint DeviceSetIrqs = (Type << 8) | (Base + 10);
    public const uint DeviceReset = (Type << 8) | (Base + 11);
}

/// <summary>struct vfio_group_status.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VfioGroupStatus
{
    public uint Argsz;
    public uint Flags;
}

/// <summary>struct vfio_device_info.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VfioDeviceInfo
{
    public uint Argsz;
    public uint Flags;
    public uint NumRegions;
    public uint NumIrqs;
    public uint CapOffset;
}

/// <summary>struct vfio_region_info.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VfioRegionInfo
{
    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint CapOffset;
    public ulong Size;
    public ulong Offset;
}

/// <summary>struct vfio_irq_info.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VfioIrqInfo
{
    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint Count;
}

/// <summary>
/// struct vfio_irq_set with its flexible data[] as up to <see cref="Vfio.MaxIrqSetFds"/> eventfds (__s32);
/// argsz counts only the header and the data given (<see cref="SizeFor"/>).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct VfioIrqSet
{
    /// <summary>sizeof(struct vfio_irq_set): the header, data[] excluded.</summary>
    public const int HeaderSize = 20;

    public uint Argsz;
    public uint Flags;
    public uint Index;
    public uint Start;
    public uint Count;
    public fixed int Data[Vfio.MaxIrqSetFds];

    public static uint SizeFor(int eventfds) => (uint)(HeaderSize + (4 * eventfds));
}
