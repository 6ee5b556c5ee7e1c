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

/// <summary>One command of a load profile while it runs: a process (<see cref="ProcessLoad"/>) or the irq flood (<see cref="IrqFlood"/>).</summary>
public interface IRunningLoad : IDisposable
{
    /// <summary>The command as the results show it.</summary>
    string Shown { get; }
    /// <summary>True when it ended although nobody stopped it yet: a load that is not running.</summary>
    bool HasExited { get; }
    /// <summary>Why it ended, for the message when it ended early.</summary>
    string ExitDescription { get; }
    /// <summary>Asks it to stop without waiting (SIGTERM), so that a profile's commands stop together.</summary>
    void RequestStop();
    /// <summary>Stops it (idempotent), waiting for it to end until <paramref name="deadlineUtc"/> (then SIGKILL), and says what ran.</summary>
    LoadRecord Finish(DateTime deadlineUtc);
}

/// <summary>
/// A load profile running: each command started before the measurement window and stopped after it.
/// A command that exits before it is stopped is reported (<see cref="LoadRecord.ExitedEarly"/>): a load
/// that did not run is not a load.
/// </summary>
public sealed class LoadSet : IDisposable
{
    private readonly List<IRunningLoad> _running = [];
    private List<LoadRecord>? _records;

    public LoadProfile Profile { get; }

    private LoadSet(LoadProfile profile) => Profile = profile;

    /// <param name="startFlood">Starts an irq-flood command logging to the path given, or returns null when there is no card to flood.</param>
    public static LoadSet Start(LoadProfile profile, string logDir, Func<LoadCommand, string, IRunningLoad?> startFlood)
    {
        var set = new LoadSet(profile);
        Directory.CreateDirectory(logDir);
        int i = 0;
        try
        {
            foreach (var cmd in profile.Commands)
            {
                var log = Path.Combine(logDir, $"load-{profile.Name}-{i++}.log");
                set._running.Add(cmd.Kind == LoadKind.IrqFlood
                    ? startFlood(cmd, log) ?? throw new ValidateException(ExitCodes.SetupError,
                        $"load {profile.Name}: irq-flood needs a second card (another with the plan's vendor:device, or card:floodAddress); this machine has none")
                    : ProcessLoad.Start(cmd, logDir, log));
            }
        }
        catch
        {
            set.Dispose();
            throw;
        }
        return set;
    }

    /// <summary>Commands that exited although nobody stopped them yet (a load that is not running).</summary>
    public IEnumerable<string> Exited() => _running.Where(r => r.HasExited).Select(r => r.ExitDescription);

    /// <summary>Stops every command and returns what ran.</summary>
    public IReadOnlyList<LoadRecord> Stop()
    {
        if (_records is not null) return _records;
        foreach (var r in _running) r.RequestStop();
        // One deadline for all: a .NET or stress-ng load needs a few seconds to print its counts after SIGTERM.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        return _records = [.. _running.Select(r => r.Finish(deadline))];
    }

    public void Dispose()
    {
        Stop();
        foreach (var r in _running) r.Dispose();
    }
}
