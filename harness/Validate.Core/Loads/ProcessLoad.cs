using System.Diagnostics;
using Validate.Plans;

namespace Validate.Loads;

/// <summary>
/// A load command as a child process in its own process group (setsid), with PR_SET_PDEATHSIG so it dies
/// with the harness even when the harness is SIGKILLed, output to a log file. Stopped with SIGTERM to the
/// group, SIGKILL at the load set's deadline (5 s for all its commands together).
/// </summary>
public sealed class ProcessLoad : IRunningLoad
{
    // setpriv sets PR_SET_PDEATHSIG and execs sh, which execs setsid (new process group), which execs the command: one pid.
    private static readonly string[] Wrapper = ["--pdeathsig", "SIGKILL", "--", "/bin/sh", "-c", "exec setsid \"$@\" >>\"$LOG\" 2>&1", "sh"];

    private readonly Process _proc;
    private readonly string _log;
    private readonly DateTime _started = DateTime.UtcNow;
    private LoadRecord? _record;
    private bool _early, _asked;

    public string Shown { get; }

    private ProcessLoad(Process proc, string shown, string log)
    {
        _proc = proc;
        Shown = shown;
        _log = log;
    }

    /// <param name="workDir">the run's own folder: stress-ng writes its temporary files in the working directory</param>
    public static ProcessLoad Start(LoadCommand cmd, string workDir, string log)
    {
        var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = workDir };
        foreach (var a in Wrapper.Concat([cmd.Program, .. cmd.Args]))
            psi.ArgumentList.Add(a);
        psi.Environment["LOG"] = log;
        var p = ChildLauncher.Start(psi);
        p.StandardInput.Close();
        return new ProcessLoad(p, string.Join(' ', new[] { cmd.Program }.Concat(cmd.Args)), log);
    }

    public bool HasExited => _proc.HasExited;

    public string ExitDescription => $"{Shown} (exit {_proc.ExitCode}: {Tail(_log)})";

    public void RequestStop()
    {
        if (_asked) return;
        _asked = true;
        _early = _proc.HasExited;
        if (!_early) _ = Interop.Signals.Send(-_proc.Id, Interop.Signals.SIGTERM);
    }

    public LoadRecord Finish(DateTime deadlineUtc)
    {
        if (_record is not null) return _record;
        RequestStop();
        var early = _early;
        var left = deadlineUtc - DateTime.UtcNow;
        if (!_proc.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            _ = Interop.Signals.Send(-_proc.Id, Interop.Signals.SIGKILL);
            _proc.WaitForExit();
        }
        // The group may outlive its leader (forked workers): make sure none is left.
        _ = Interop.Signals.Send(-_proc.Id, Interop.Signals.SIGKILL);
        _record = new LoadRecord(Shown, _proc.Id, _started, DateTime.UtcNow, _proc.ExitCode, early, early ? Tail(_log) : null);
        return _record;
    }

    private static string? Tail(string log)
    {
        try { return string.Join(" | ", File.ReadLines(log).TakeLast(3)); }
        catch (IOException) { return null; }
    }

    public void Dispose()
    {
        try { Finish(DateTime.UtcNow.AddSeconds(5)); }
        finally { _proc.Dispose(); }
    }
}
