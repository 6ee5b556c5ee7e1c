using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace Validate.Interop;

/// <summary>How a file is opened (the open(2) flags). O_CLOEXEC is always added: no descriptor of the harness leaks into a child.</summary>
[Flags]
public enum OpenMode
{
    ReadOnly = 0,
    WriteOnly = 1,
    ReadWrite = 2,
    /// <summary>O_NONBLOCK.</summary>
    NonBlock = 1 << 8,
    /// <summary>O_SYNC.</summary>
    Sync = 1 << 9,
}

/// <summary>
/// An open file descriptor, owned: closed by <see cref="SafeHandle.Dispose()"/> or, when its owner was
/// dropped undisposed, by the runtime's critical finalizer. <see cref="Open"/> creates the handle before
/// open(2) runs and stores the descriptor in it right after (nothing between can throw), as the runtime's
/// LibraryImport marshaller does for a SafeHandle return, so no exception can leak a descriptor.
/// <para>
/// Hot paths: the calls of <see cref="Posix"/> take the raw number (<see cref="Number"/>), not the handle.
/// A SafeHandle argument costs an AddRef and a Release (two interlocked operations and a try/finally) per
/// call, which protect a call in flight from a Dispose on another thread. An owner that uses the raw
/// number instead takes over that duty, and must document it: it keeps the handle private, disposes it only
/// when no call can be in flight (its own Dispose, not concurrent with its other methods), and keeps the
/// handle reachable across each call (<see cref="GC.KeepAlive"/>) so the finalizer cannot close it
/// mid-call. This is what dotnet/runtime itself does: its Interop/Unix passes SafeHandles everywhere except
/// where one object owns a descriptor privately and loops on it (SocketAsyncEngine's epoll port, a raw
/// int, closed only by the engine).
/// </para>
/// </summary>
public sealed unsafe class FileDescriptor : SafeHandle
{
    private FileDescriptor(string path) : base(new IntPtr(-1), ownsHandle: true) => Path = path;

    public override bool IsInvalid => (long)handle < 0;

    /// <summary>The path it was opened from (for messages).</summary>
    public string Path { get; }

    /// <summary>The raw descriptor, for an owner's hot path under the contract above; -1 once closed.</summary>
    public int Number => IsClosed ? -1 : (int)handle;

    /// <summary>open(2) with O_CLOEXEC; throws <see cref="InteropException"/> (call with its flags, errno, path).</summary>
    public static FileDescriptor Open(string path, OpenMode flags) =>
        TryOpen(path, flags, out var error) ?? throw new InteropException(CallOf(flags), error, path);

    /// <summary>Takes ownership of a descriptor opened elsewhere (an ioctl's result, an eventfd); <paramref name="path"/> names it in messages.</summary>
    public static FileDescriptor Adopt(int fd, string path)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        var owner = new FileDescriptor(path);
        owner.SetHandle(fd);
        return owner;
    }

    /// <summary>open(2) with O_CLOEXEC: the owned descriptor, or null and errno.</summary>
    public static FileDescriptor? TryOpen(string path, OpenMode flags, out int error)
    {
        // Everything that allocates comes first; from open(2) returning to SetHandle nothing can throw.
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        var owner = new FileDescriptor(path);
        var native = NativeFlags(flags);
        int fd;
        fixed (byte* p = bytes) fd = open(p, native, 0);
        if (fd < 0)
        {
            error = errno;
            owner.SetHandleAsInvalid();
            return null;
        }
        owner.SetHandle(fd);
        error = 0;
        return owner;
    }

    /// <summary>"open(O_RDWR|O_SYNC)": the call as messages name it (O_CLOEXEC, always there, left out).</summary>
    public static string CallOf(OpenMode flags)
    {
        var access = (flags & (OpenMode)3) switch { OpenMode.WriteOnly => "O_WRONLY", OpenMode.ReadWrite => "O_RDWR", _ => "O_RDONLY" };
        return $"open({access}{((flags & OpenMode.NonBlock) != 0 ? "|O_NONBLOCK" : "")}{((flags & OpenMode.Sync) != 0 ? "|O_SYNC" : "")})";
    }

    private static int NativeFlags(OpenMode flags) =>
        ((flags & (OpenMode)3) switch { OpenMode.WriteOnly => O_WRONLY, OpenMode.ReadWrite => O_RDWR, _ => O_RDONLY })
        | ((flags & OpenMode.NonBlock) != 0 ? O_NONBLOCK : 0)
        | ((flags & OpenMode.Sync) != 0 ? O_SYNC : 0)
        | O_CLOEXEC;

    /// <summary>
    /// close(2), once. Linux frees the descriptor even when close reports an error (EINTR, EIO), so it is
    /// never retried, and the result is not a reason to report the release as failed.
    /// </summary>
    protected override bool ReleaseHandle()
    {
        _ = close((int)handle);
        return true;
    }
}
