namespace Validate;

/// <summary>
/// An error meant for the user: one line that says what failed, the value, and the fix,
/// and the exit status the CLI should end with. The CLI prints the message, never the stack.
/// </summary>
public class ValidateException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
