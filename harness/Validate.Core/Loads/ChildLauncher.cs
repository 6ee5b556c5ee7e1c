using System.Collections.Concurrent;
using System.Diagnostics;

namespace Validate.Loads;

/// <summary>
/// Starts child processes from one thread that lives as long as the process. Children get
/// PR_SET_PDEATHSIG (setpriv --pdeathsig SIGKILL), which fires when the thread that forked them exits,
/// not the process: starting them from short-lived test threads would kill them early.
/// </summary>
public static class ChildLauncher
{
    private static readonly BlockingCollection<(ProcessStartInfo Psi, TaskCompletionSource<Process> Done)> Requests = [];
    private static readonly Lazy<Thread> Launcher = new(() =>
    {
        var t = new Thread(() =>
        {
            foreach (var (psi, done) in Requests.GetConsumingEnumerable())
            {
                try { done.SetResult(Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}")); }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { done.SetException(e); }
            }
        }) { IsBackground = true, Name = "child-launcher" };
        t.Start();
        return t;
    });

    public static Process Start(ProcessStartInfo psi)
    {
        _ = Launcher.Value;
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((psi, done));
        return done.Task.GetAwaiter().GetResult();
    }
}
