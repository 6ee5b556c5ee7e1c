using System.Runtime.InteropServices;

namespace Validate.Interop;

/// <summary>kill(2) for the few places that signal a child or its process group; who may ptrace us.</summary>
public static class Signals
{
    public const int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;

    /// <summary>Sends <paramref name="signal"/> to a process (pid &gt; 0) or a process group (pid &lt; 0). Returns 0 or errno.</summary>
    public static int Send(int pid, int signal) => Tmds.Linux.LibC.kill(pid, signal) == 0 ? 0 : Tmds.Linux.LibC.errno;

    private const int PR_SET_PTRACER = 0x59616d61;

    /// <summary>
    /// Lets <paramref name="pid"/> and its descendants ptrace this process where Yama (kernel.yama.ptrace_scope 1)
    /// allows only ancestors: <c>validate run</c>'s stack reader, a sibling of the runner. Returns 0 or errno
    /// (EINVAL without Yama, where nothing needs allowing).
    /// </summary>
    public static int AllowTracer(int pid) => Libc.Prctl(PR_SET_PTRACER, (nuint)pid, 0, 0, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
