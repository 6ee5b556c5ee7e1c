using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Validate.Interop;

/// <summary>
/// A shared read-write mapping of a file (mmap(2) PROT_READ|PROT_WRITE, MAP_SHARED), owned: munmap(2) on
/// <see cref="SafeHandle.Dispose()"/>, or by the critical finalizer when dropped undisposed. The mapping
/// stays valid after the descriptor it was made from is closed. <see cref="Address"/> is for an owner's
/// hot path under the contract of <see cref="FileDescriptor"/>: read it once, unmap only when no access
/// can be in flight.
/// </summary>
public sealed unsafe class MappedMemory : SafeHandle
{
    private MappedMemory(nuint length) : base(new IntPtr(-1), ownsHandle: true) => Length = length;

    public override bool IsInvalid => handle == new IntPtr(-1) || handle == IntPtr.Zero;

    public nuint Length { get; }

    /// <summary>The first byte; null once unmapped.</summary>
    public byte* Address => IsClosed || IsInvalid ? null : (byte*)handle;

    /// <summary>mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED, fd, offset): the mapping, or null and errno.</summary>
    public static MappedMemory? TryMap(FileDescriptor fd, nuint length, long offset, out int error)
    {
        var owner = new MappedMemory(length);
        var added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var p = mmap(null, (Tmds.Linux.size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd.DangerousGetHandle(), (Tmds.Linux.off_t)offset);
            if (p == (void*)-1)
            {
                error = errno;
                owner.SetHandleAsInvalid();
                return null;
            }
            owner.SetHandle((IntPtr)p);
            error = 0;
            return owner;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary><see cref="TryMap"/>, throwing <see cref="InteropException"/> with <paramref name="call"/> (default "mmap"), errno and the file's path.</summary>
    public static MappedMemory Map(FileDescriptor fd, nuint length, long offset, string? call = null) =>
        TryMap(fd, length, offset, out var error) ?? throw new InteropException(call ?? $"mmap({length} bytes at 0x{offset:x})", error, fd.Path);

    protected override bool ReleaseHandle() => munmap((void*)handle, (Tmds.Linux.size_t)Length) == 0;
}
