using System.Diagnostics;
using Validate.Plans;

namespace Validate.Loads;

/// <summary>What ran as load during a suite, for the results.</summary>
public sealed record LoadRecord(
    string Command,
    int Pid,
    DateTime StartedUtc,
    DateTime StoppedUtc,
    int? ExitStatus,
    bool ExitedEarly,
    string? LogTail);

/// <summary>
/// A load profile running: each command a child process in its own process group (setsid), with
/// PR_SET_PDEATHSIG so it dies with the harness even when the harness is SIGKILLed, output to a log
/// file. Started before the measurement window, stopped after it (SIGTERM to the group, SIGKILL after
/// 2 s). A command that exits before it is stopped is reported (<see cref="LoadRecord.ExitedEarly"/>): a
/// load that did not run is not a load.
/// </summary>
public sealed class LoadSet : IDisposable
{
    private readonly List<(LoadCommand Cmd, string Shown, Process Proc, string Log, DateTime Started)> _running = [];
    private List<LoadRecord>? _records;

    // setpriv sets PR_SET_PDEATHSIG and execs sh, which execs setsid (new process group), which execs the command: one pid.
    private static readonly string[] Wrapper = ["--pdeathsig", "SIGKILL", "--", "/bin/sh", "-c", "exec setsid \"$@\" >>\"$LOG\" 2>&1", "sh"];

    /// <summary>A load that needs time to start (irq-flood) prints this line when it is running.</summary>
    public const string ReadyMarker = "validate-load-ready:";

    public LoadProfile Profile { get; }

    private LoadSet(LoadProfile profile) => Profile = profile;

    /// <param name="floodCommand">How to run an irq-flood command (the CLI's flood), or null when there is no card to flood.</param>
    public static LoadSet Start(LoadProfile profile, string logDir, Func<LoadCommand, IReadOnlyList<string>?> floodCommand)
    {
        var set = new LoadSet(profile);
        Directory.CreateDirectory(logDir);
        int i = 0;
        try
        {
            foreach (var cmd in profile.Commands)
            {
                IReadOnlyList<string> argv = cmd.Kind == LoadKind.IrqFlood
                    ? floodCommand(cmd) ?? throw new ValidateException(ExitCodes.SetupError,
                        $"load {profile.Name}: irq-flood needs a second card (another with the plan's vendor:device, or card:floodAddress); this machine has none")
                    : [cmd.Program, .. cmd.Args];
                var log = Path.Combine(logDir, $"load-{profile.Name}-{i++}.log");
                // In the run's own folder: stress-ng writes its temporary files in the working directory.
                var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardInput = true, WorkingDirectory = logDir };
                foreach (var a in Wrapper.Concat(argv))
                    psi.ArgumentList.Add(a);
                psi.Environment["LOG"] = log;
                var p = ChildLauncher.Start(psi);
                p.StandardInput.Close();
                set._running.Add((cmd, string.Join(' ', argv), p, log, DateTime.UtcNow));
            }
            set.WaitReady(TimeSpan.FromSeconds(60));
        }
        catch
        {
            set.Dispose();
            throw;
        }
        return set;
    }

    /// <summary>Waits until every irq-flood command has said it is running (its ready line in its log).</summary>
    private void WaitReady(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var r in _running.Where(r => r.Cmd.Kind == LoadKind.IrqFlood))
        {
            while (!File.Exists(r.Log) || !File.ReadAllText(r.Log).Contains(ReadyMarker, StringComparison.Ordinal))
            {
                if (r.Proc.HasExited)
                    throw new ValidateException(ExitCodes.SetupError, $"load {Profile.Name}: {r.Shown} exited with {r.Proc.ExitCode} before it was running: {Tail(r.Log)}");
                if (DateTime.UtcNow > deadline)
                    throw new ValidateException(ExitCodes.SetupError, $"load {Profile.Name}: {r.Shown} did not start within {timeout.TotalSeconds:0} s");
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Commands that exited although nobody stopped them yet (a load that is not running).</summary>
    public IEnumerable<string> Exited() => _running.Where(r => r.Proc.HasExited).Select(r => $"{r.Shown} (exit {r.Proc.ExitCode}: {Tail(r.Log)})");

    /// <summary>Stops every command (its whole process group) and returns what ran.</summary>
    public IReadOnlyList<LoadRecord> Stop()
    {
        if (_records is not null) return _records;
        var early = _running.Select(r => r.Proc.HasExited).ToList();
        foreach (var r in _running.Where(r => !r.Proc.HasExited))
            _ = Interop.Signals.Send(-r.Proc.Id, Interop.Signals.SIGTERM);
        // A .NET load (irq-flood) under emulation needs a few seconds to print its counts after SIGTERM.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        foreach (var r in _running)
        {
            var left = deadline - DateTime.UtcNow;
            if (!r.Proc.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                _ = Interop.Signals.Send(-r.Proc.Id, Interop.Signals.SIGKILL);
                r.Proc.WaitForExit();
            }
            // The group may outlive its leader (forked workers): make sure none is left.
            _ = Interop.Signals.Send(-r.Proc.Id, Interop.Signals.SIGKILL);
        }
        _records = _running.Select((r, i) => new LoadRecord(
            r.Shown, r.Proc.Id, r.Started, DateTime.UtcNow, r.Proc.ExitCode, early[i],
            early[i] || r.Cmd.Kind == LoadKind.IrqFlood ? Tail(r.Log) : null)).ToList();
        return _records;
    }

    private static string? Tail(string log)
    {
        try { return string.Join(" | ", File.ReadLines(log).TakeLast(3)); }
        catch (IOException) { return null; }
    }

    public void Dispose()
    {
        Stop();
        foreach (var r in _running) r.Proc.Dispose();
    }
}
