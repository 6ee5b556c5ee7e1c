using NUnit.Framework;
using Validate.TestSupport;

namespace Validate.UnitTests.CommandLine;

/// <summary>Bad command lines get one line naming the problem and a distinct status, never a stack trace.</summary>
public class CliUsageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static void AssertOneLineError(CliRun run, int status, params string[] mentions)
    {
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(status), run.ToString());
            var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(1), run.ToString());
            Assert.That(run.Stderr, Does.StartWith("validate: "));
            Assert.That(run.Stderr, Does.Not.Contain("   at "), "no stack trace");
            foreach (var m in mentions) Assert.That(run.Stderr, Does.Contain(m));
        });
    }

    [Test]
    public void Vlab_without_a_command_is_a_usage_error() =>
        AssertOneLineError(Cli.Run(Limit, "vlab"), ExitCodes.Usage, "command");

    [Test]
    public void An_unknown_topology_names_the_value_and_the_choices() =>
        AssertOneLineError(Cli.Run(Limit, "vlab", "--topology", "quad", "--", "true"),
            ExitCodes.Usage, "'quad'", "single-msi", "single-intx", "shared-intx");

    [Test]
    public void A_zero_timeout_is_a_usage_error() =>
        AssertOneLineError(Cli.Run(Limit, "vlab", "--timeout", "0", "--", "true"), ExitCodes.Usage, "--timeout 0");

    [Test]
    public void An_unknown_command_is_a_usage_error() =>
        AssertOneLineError(Cli.Run(Limit, "frobnicate"), ExitCodes.Usage, "frobnicate");

    [Test]
    public void The_lab_without_root_says_root_is_needed()
    {
        if (Environment.IsPrivilegedProcess)
            Assert.Ignore("runs only unprivileged (validate selftest runs unit tests as nobody)");
        AssertOneLineError(Cli.Run(Limit, "vlab", "--", "true"), ExitCodes.SetupError, "needs root");
    }

    [Test]
    public void Help_lists_the_commands()
    {
        var run = Cli.Run(Limit, "--help");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        foreach (var command in new[] { "vlab", "selftest", "demo", "devices", "run", "doctor", "report", "history", "compare", "flood", "new-plan" })
            Assert.That(run.Stdout, Does.Match($@"\n\s+{command}\s"), command);
    }
}
