using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Validate.Recording;

/// <summary>Up to four stage values (ns) of one measurement, in the backend's stage order.</summary>
[InlineArray(Sample.MaxStages)]
public struct StageValues
{
    private long _element;
}

/// <summary>One measurement: when it happened (CLOCK_MONOTONIC ns) and its stage values.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Sample
{
    public const int MaxStages = 4;
    public long TimestampNs;
    public StageValues Stages;
}
