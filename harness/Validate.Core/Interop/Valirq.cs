using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Validate.Interop;

// The valirq UAPI (kmod/include/uapi/linux/valirq.h) in C#. Names follow the header: a type
// ValirqEvent is struct valirq_event, a field HardirqNs is hardirq_ns, a constant OpReadNe is
// VALIRQ_OP_READ_NE. tests/Validate.UnitTests/Interop/ValirqUapiLayoutTests.cs compiles C against
// the header and checks every size, offset and constant here against it.

/// <summary>Constants of the valirq UAPI.</summary>
public static class Valirq
{
    public const uint UapiVersion = 1;
    public const int MaxSteps = 8;
    public const int RingSize = 256;

    public const byte SpaceMem = 0;
    public const byte SpaceIo = 1;

    public const uint OpReadNe = 1;
    public const uint OpReadEq = 2;
    public const uint OpWrite = 3;
    public const uint OpWriteStatus = 4;
    public const uint OpSetBits = 5;
    public const uint OpClearBits = 6;

    public const uint ModeOff = 0;
    public const uint ModeMsi = 1;
    public const uint ModeIntxExclusive = 2;
    public const uint ModeIntxShared = 3;

    public const uint EnableAutorearm = 1u << 0;

    public const uint BarPresent = 1u << 0;
    public const uint BarIo = 1u << 1;
    public const uint BarPrefetch = 1u << 2;

    public const uint EvOverrun = 1u << 0;
    public const uint EvQuiesced = 1u << 1;
    public const uint EvRevoked = 1u << 2;

    public const int MmapShift = 40;
    public const ulong MmapSigbus = 1ul << 39;

    /// <summary>mmap offset of a BAR (VALIRQ_MMAP_OFFSET).</summary>
    public static long MmapOffset(int bar, bool sigbusOnRevoke = false) =>
        (long)(((ulong)bar << MmapShift) | (sigbusOnRevoke ? MmapSigbus : 0));
}

/// <summary>ioctl request numbers, computed as the kernel's _IO/_IOR/_IOW/_IOWR macros do (x86-64).</summary>
public static class ValirqIoc
{
    private const uint Magic = 'V';

    private static uint Ioc(uint dir, uint nr, int size) => (dir << 30) | ((uint)size << 16) | (Magic << 8) | nr;

    public static readonly uint Version = Ioc(2, 0, sizeof(uint));
    public static readonly uint Info = Ioc(2, 1, Unsafe.SizeOf<ValirqInfo>());
    public static readonly uint SetProgram = Ioc(1, 2, Unsafe.SizeOf<ValirqProgram>());
    public static readonly uint SetQuiesce = Ioc(1, 3, Unsafe.SizeOf<ValirqQuiesce>());
    public static readonly uint Enable = Ioc(1, 4, Unsafe.SizeOf<ValirqEnable>());
    public static readonly uint Disable = Ioc(0, 5, 0);
    public static readonly uint Ack = Ioc(0, 6, 0);
    public static readonly uint Stimulus = Ioc(3, 7, Unsafe.SizeOf<ValirqStimulus>());
    public static readonly uint Revoke = Ioc(0, 8, 0);
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqReg
{
    public byte Bar;
    public byte Width;
    public byte Space;
    public byte Reserved;
    public uint Offset;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqStep
{
    public ValirqReg Reg;
    public uint Op;
    public uint Mask;
    public uint Value;
    public uint Reserved;
}

[InlineArray(Valirq.MaxSteps)]
public struct ValirqSteps
{
    private ValirqStep _element;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqProgram
{
    public uint NAck;
    public uint NMask;
    public uint NUnmask;
    public uint Flags;
    public ValirqStep Check;
    public ValirqSteps Ack;
    public ValirqSteps Mask;
    public ValirqSteps Unmask;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqQuiesce
{
    public uint NSteps;
    public uint Reserved;
    public ValirqSteps Steps;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqEnable
{
    public uint Mode;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqStimulus
{
    public ValirqReg Reg;
    public uint Value;
    public uint Reserved;
    public ulong BeforeNs;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqBarInfo
{
    public ulong Size;
    public uint Flags;
    public uint Reserved;
}

[InlineArray(6)]
public struct ValirqBarInfos
{
    private ValirqBarInfo _element;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqInfo
{
    public uint Version;
    public ushort Vendor;
    public ushort Device;
    public ushort SubsystemVendor;
    public ushort SubsystemDevice;
    public byte Revision;
    public byte IrqPin;
    public byte MsiCapable;
    public byte IntxMaskCapable;
    public uint LegacyIrq;
    public uint Reserved;
    public ValirqBarInfos Bars;
}

[InlineArray(2)]
public struct ValirqReserved2
{
    private ulong _element;
}

/// <summary>One record read from /dev/valirq-*: see the header for each field.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ValirqEvent
{
    public ulong Seq;
    public ulong HardirqNs;
    public ulong ThreadNs;
    public uint Count;
    public uint Overruns;
    public uint Status;
    public uint Flags;
    public ulong Total;
    public ValirqReserved2 Reserved;
}
