using System.CommandLine;
using Validate;
using Validate.Cli.Commands;

// validate: the CLI of the Validate harness. Each command is one file under Commands/.
// Errors meant for the user are ValidateException: one line "validate: ..." and its exit status.
var root = new RootCommand("Validate: real-time scripted test harness for PCI cards on PREEMPT_RT Linux.\n" +
                           "Exit statuses: 0 ok, 1 failed, 2 usage, 3 bad input file, 4 machine not ready, " +
                           "122 lab failure, 123 guest kernel log problem, 124 timeout, 130/143 interrupted.");
root.Subcommands.Add(VlabCommand.Create());
root.Subcommands.Add(SelftestCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DevicesCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"validate: {parsed.Errors[0].Message} (see validate --help)");
    return ExitCodes.Usage;
}
try
{
    return parsed.Invoke();
}
catch (ValidateException e)
{
    Console.Error.WriteLine($"validate: {e.Message}");
    return e.ExitCode;
}
