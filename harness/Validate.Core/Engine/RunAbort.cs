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
