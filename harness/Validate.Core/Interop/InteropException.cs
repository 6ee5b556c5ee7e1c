namespace Validate.Interop;

/// <summary>A failed libc call: the call, errno (name and text), and what it was applied to.</summary>
public sealed class InteropException(string call, int errno, string target)
    : Exception($"{call} on {target}: {Interop.Errno.Name(errno)} ({Interop.Errno.Text(errno)})")
{
    public string Call { get; } = call;
    public int ErrorNumber { get; } = errno;
    public string Target { get; } = target;
}

/// <summary>errno values the engine reacts to, with names for messages.</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
        EACCES = 13, EBUSY = 16, ENODEV = 19, EINVAL = 22, EPIPE = 32, ETIMEDOUT = 110;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO", EBADF => "EBADF",
        EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EBUSY => "EBUSY", ENODEV => "ENODEV",
        EINVAL => "EINVAL", EPIPE => "EPIPE", ETIMEDOUT => "ETIMEDOUT",
        _ => $"errno {errno}",
    };

    public static string Text(int errno) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
}
