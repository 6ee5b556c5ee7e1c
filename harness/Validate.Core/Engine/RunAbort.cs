namespace Validate.Engine;

/// <summary>
/// The one flag a measurement loop checks each iteration (a volatile read): set by SIGINT/SIGTERM
/// handlers so that a killed run stops measuring, stops its loads, closes its devices (valirq runs the
/// quiesce program on close) and still writes the results it has.
/// </summary>
public static class RunAbort
{
    private static volatile bool _requested;
    private static volatile string? _why;

    /// <summary>
    /// In the run folder: why <c>validate run</c> stopped the runner, written before its SIGTERM (a suite it
    /// took as hung); the runner's suites say that instead of "SIGTERM".
    /// </summary>
    public const string ReasonFileName = "stop-reason.txt";

    /// <summary>The reason <c>validate run</c> left in <paramref name="runDir"/>, else <paramref name="signal"/>.</summary>
    public static string ReasonIn(string? runDir, string signal)
    {
        if (runDir is null) return signal;
        try
        {
            var text = File.ReadAllText(Path.Combine(runDir, ReasonFileName)).Trim();
            return text.Length > 0 ? text : signal;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return signal;
        }
    }

    public static bool Requested => _requested;
    public static string? Why => _why;

    public static void Request(string why)
    {
        _why ??= why;
        _requested = true;
    }

    /// <summary>For tests: clears the flag.</summary>
    public static void Reset()
    {
        _requested = false;
        _why = null;
    }
}
