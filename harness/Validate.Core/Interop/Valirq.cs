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
    public const uint UapiVersion = 3;
    public const int MaxSteps = 8;
    public const int RingSize = 256;
    /// <summary>Ring slots kept for control records (REVOKED, GONE): those are never lost to a full ring.</summary>
    public const int RingReserved = 2;

    public const byte SpaceMem = 0;
    public const byte SpaceIo = 1;

    public const uint OpReadNe = 1;
    public const uint OpReadEq = 2;
    public const uint OpWrite = 3;
    public const uint OpWriteStatus = 4;
    public const uint OpSetBits = 5;
    public const uint OpClearBits = 6;

    // What valirq does when the owner's file is released or the function unbound (valirq_quiesce.policy).
    public const uint ReleaseQuiesce = 0;
    public const uint ReleaseReset = 1;
    public const uint ReleaseQuiesceThenReset = 2;

    public const uint ModeOff = 0;
    public const uint ModeMsi = 1;
    public const uint ModeIntxExclusive = 2;
    public const uint ModeIntxShared = 3;
    /// <summary>The MSI-X vectors of <see cref="ValirqEnable.Vectors"/>; records carry their vector.</summary>
    public const uint ModeMsix = 4;

    /// <summary>valirq_program.flags: the check's register clears itself when read; valirq reads it once per hard IRQ, the event carries it.</summary>
    public const uint ProgReadToClear = 1u << 0;

    public const uint EnableAutorearm = 1u << 0;
    /// <summary>PCI bus mastering on while enabled (always on for MSI); cleared first on disable, release, revocation, unbind.</summary>
    public const uint EnableBusmaster = 1u << 1;

    public const uint BarPresent = 1u << 0;
    public const uint BarIo = 1u << 1;
    public const uint BarPrefetch = 1u << 2;
    /// <summary>The BAR can be mmap-ed through valirq: memory, page-aligned, at least a page long.</summary>
    public const uint BarMmap = 1u << 3;

    /// <summary>valirq_info.flags: bus mastering is enabled now.</summary>
    public const uint InfoBusmaster = 1u << 0;
    /// <summary>valirq_info.flags: the function has a reset method (a reset policy can work).</summary>
    public const uint InfoReset = 1u << 1;

    public const uint EvOverrun = 1u << 0;
    /// <summary>First record since a release ran the quiesce program (and it silenced the card).</summary>
    public const uint EvQuiesced = 1u << 1;
    /// <summary>The card was taken away from this opener (count 0): close and open again.</summary>
    public const uint EvRevoked = 1u << 2;
    /// <summary>First record since a release reset the function.</summary>
    public const uint EvReset = 1u << 3;
    /// <summary>First record since a release left the card interrupting (neither quiesced nor reset).</summary>
    public const uint EvUnquiesced = 1u << 4;
    /// <summary>The card asserted INTx against the program; valirq masked it at the card (PCI 2.3).</summary>
    public const uint EvMismatch = 1u << 5;
    /// <summary>The function is being unbound (count 0); the release outcome flags say what was done.</summary>
    public const uint EvGone = 1u << 6;

    public const int MmapShift = 40;
    public const ulong MmapSigbus = 1ul << 39;

    /// <summary>mmap offset of a BAR (VALIRQ_MMAP_OFFSET).</summary>
    public static long MmapOffset(int bar, bool sigbusOnRevoke = false) =>
        (long)(((ulong)bar << MmapShift) | (sigbusOnRevoke ? MmapSigbus : 0));
}

/// <summary>ioctl request numbers, computed as the kernel's _IO/_IOR/_IOW/_IOWR macros do (x86-64).</summary>
public static class ValirqIoc
{
    /// <summary>VALIRQ_IOC_MAGIC: unassigned in the kernel's ioctl-number.rst ('V', v1's, was V4L2's and the VT ioctls').</summary>
    public const uint Magic = 0xBE;

    // _IOC_NONE, _IOC_WRITE, _IOC_READ (asm-generic/ioctl.h, as x86-64 uses it).
    private const uint None = 0, Write = 1, Read = 2;

    private static uint Ioc(uint dir, uint nr, int size) => (dir << 30) | ((uint)size << 16) | (Magic << 8) | nr;

    public static readonly uint Version = Ioc(Read, 0x00, sizeof(uint));
    public static readonly uint Info = Ioc(Read, 0x01, Unsafe.SizeOf<ValirqInfo>());
    public static readonly uint SetProgram = Ioc(Write, 0x02, Unsafe.SizeOf<ValirqProgram>());
    public static readonly uint SetQuiesce = Ioc(Write, 0x03, Unsafe.SizeOf<ValirqQuiesce>());
    public static readonly uint Enable = Ioc(Write, 0x04, Unsafe.SizeOf<ValirqEnable>());
    public static readonly uint Disable = Ioc(None, 0x05, 0);
    public static readonly uint Ack = Ioc(None, 0x06, 0);
    public static readonly uint Revoke = Ioc(None, 0x08, 0);
    public static readonly uint SetInit = Ioc(Write, 0x09, Unsafe.SizeOf<ValirqInit>());
    /// <summary>On the debugfs stimulus file only (<see cref="ValirqDebugfs.Stimulus"/>), not on the device.</summary>
    public static readonly uint Stimulus = Ioc(Read | Write, 0x07, Unsafe.SizeOf<ValirqStimulus>());
    /// <summary>On debugfs valirq/window: target a memory BAR of any PCI function (struct valirq_window).</summary>
    public static readonly uint Window = Ioc(Write, 0x0A, Unsafe.SizeOf<ValirqWindow>());
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
    /// <summary>Valirq.Release*: what valirq does at release (quiesce, reset, quiesce then reset).</summary>
    public uint Policy;
    public ValirqSteps Steps;
}

/// <summary>Steps valirq runs at ENABLE (init) and before removing the handlers (disable): VALIRQ_IOC_SET_INIT.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ValirqInit
{
    public uint NInit;
    public uint NDisable;
    public ValirqSteps Init;
    public ValirqSteps Disable;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqEnable
{
    public uint Mode;
    public uint Flags;
    /// <summary>MSIX: bit i enables MSI-X table entry i; other modes 0.</summary>
    public uint Vectors;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
public struct ValirqStimulus
{
    public ValirqReg Reg;
    public uint Value;
    public uint Reserved;
    public ulong BeforeNs;
}

/// <summary>struct valirq_window: the function (domain, bus, devfn) and memory BAR debugfs valirq/window reaches.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ValirqWindow
{
    public uint Domain;
    public byte Bus;
    public byte Devfn;
    public byte Bar;
    public byte Reserved;
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
    /// <summary>Valirq.Info*.</summary>
    public uint Flags;
    /// <summary>MSI-X table size (0: no MSI-X).</summary>
    public ushort MsixVectors;
    public ushort Reserved16;
    public uint Reserved32;
    public ValirqBarInfos Bars;
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
    /// <summary>MSIX: the table entry that fired; other modes 0.</summary>
    public uint Vector;
    public uint Reserved0;
    public ulong Reserved1;
}
