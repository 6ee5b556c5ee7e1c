namespace Validate.Cli;

/// <summary>
/// The details of an unexpected exception, written to a file so the console keeps one line: the command line,
/// the exception with its inner exceptions and stack, the version of .NET. In $VALIDATE_CRASH_DIR, else the
/// system's temporary folder (writable by any user, also by the unit tests' nobody).
/// </summary>
internal static class CrashReport
{
    public static string Write(Exception e, string[] args)
    {
        var dir = Environment.GetEnvironmentVariable("VALIDATE_CRASH_DIR") is { Length: > 0 } d ? d : Path.GetTempPath();
        var path = Path.Combine(dir, $"validate-crash-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt");
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(path,
                $"validate crashed at {DateTime.UtcNow:O} (UTC)\n" +
                $"command: validate {string.Join(' ', args)}\n" +
                $"working directory: {Environment.CurrentDirectory}\n" +
                $"runtime: {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}\n\n{e}\n");
            return path;
        }
        catch (Exception writeFailed) when (writeFailed is IOException or UnauthorizedAccessException)
        {
            return $"(no crash report: {path}: {writeFailed.Message})";
        }
    }
}
