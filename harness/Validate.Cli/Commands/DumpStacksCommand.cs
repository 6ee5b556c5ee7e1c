using System.CommandLine;

namespace Validate.Cli.Commands;

/// <summary>
/// validate dump-stacks PID (hidden): prints a .NET process's managed stacks. `validate run` starts it when a
/// suite hangs, so that the ptrace attach happens in a process that is not the runner's parent.
/// </summary>
internal static class DumpStacksCommand
{
    public const string Name = "dump-stacks";

    public static Command Create()
    {
        var pid = new Argument<int>("pid") { Description = "the .NET process" };
        var cmd = new Command(Name, "Print a .NET process's managed stacks (validate run uses it when a suite hangs).") { pid };
        cmd.Hidden = true;
        cmd.SetAction(p =>
        {
            Console.Write(HangReport.ReadManagedStacks(p.GetValue(pid)));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
