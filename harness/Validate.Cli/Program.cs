using System.CommandLine;
using Validate;
using Validate.Cli;
using Validate.Cli.Commands;

// validate: the CLI of the Validate harness. Each command is one file under Commands/.
// Errors meant for the user are ValidateException: one line "validate: ..." and its exit status.
var root = new RootCommand("Validate: real-time scripted test harness for PCI cards on PREEMPT_RT Linux.\n" +
                           "Exit statuses: 0 ok, 1 failed, 2 usage, 3 bad input file, 4 machine not ready, " +
                           "70 internal error (crash report), 122 lab failure, 123 guest kernel log problem, 124 timeout, 130/143 interrupted.");
root.Subcommands.Add(VlabCommand.Create());
root.Subcommands.Add(SelftestCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DevicesCommand.Create());
root.Subcommands.Add(NewPlanCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(FloodCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(HistoryCommand.Create());
root.Subcommands.Add(HistoryCommand.CreateCompare());
root.Subcommands.Add(DumpStacksCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // One line: the parser's errors joined, the most specific (an unrecognized word) first.
    var messages = parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1);
    Console.Error.WriteLine($"validate: {string.Join("; ", messages)} (see validate --help)");
    return ExitCodes.Usage;
}
try
{
    // Our handler below prints one line; the library's would print the stack.
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ValidateException e)
{
    Console.Error.WriteLine($"validate: {e.Message}");
    return e.ExitCode;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or Validate.Interop.InteropException or System.Data.Common.DbException)
{
    // A file or device the machine would not give us: one line, the path is in the message.
    Console.Error.WriteLine($"validate: {e.Message}");
    return ExitCodes.SetupError;
}
catch (Exception e)
{
    // A bug: one line and where the details are, never a bare stack trace.
    Console.Error.WriteLine($"validate: internal error: {e.GetType().Name}: {FirstLine(e.Message)}; details in {CrashReport.Write(e, args)} (please report it)");
    return ExitCodes.Crash;
}

static string FirstLine(string s) => s.Split('\n', 2)[0].TrimEnd();
