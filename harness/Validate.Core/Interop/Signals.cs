namespace Validate.Interop;

/// <summary>kill(2) for the few places that signal a child or its process group.</summary>
public static class Signals
{
    public const int SIGKILL = 9, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;

    /// <summary>Sends <paramref name="signal"/> to a process (pid &gt; 0) or a process group (pid &lt; 0). Returns 0 or errno.</summary>
    public static int Send(int pid, int signal) => Tmds.Linux.LibC.kill(pid, signal) == 0 ? 0 : Tmds.Linux.LibC.errno;
}
