using NUnit.Framework;
using Validate.TestSupport;

namespace Validate.UnitTests.CommandLine;

/// <summary>validate vlab --kernel rt|generic, as the built CLI parses it (no root needed: bad values fail before the lab starts).</summary>
public class VlabKernelOptionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [TestCase("preempt_rt")]
    [TestCase("RT")]
    [TestCase("")]
    public void An_unknown_kernel_is_one_line_naming_the_option_and_the_fix_exit_2(string value)
    {
        var run = Cli.Run(Limit, "vlab", "--kernel", value, "--", "true");
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Usage), run.ToString());
            Assert.That(lines, Has.Length.EqualTo(1), run.ToString());
            Assert.That(run.Stderr, Does.StartWith($"validate: --kernel '{value}': choose one of rt "));
            Assert.That(run.Stderr, Does.Contain("generic"));
            Assert.That(run.Stderr, Does.Not.Contain("   at "), "no stack trace");
        });
    }

    [Test]
    public void The_kernel_option_needs_a_value()
    {
        var run = Cli.Run(Limit, "vlab", "--kernel");
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.Usage), run.ToString());
        Assert.That(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Does.Contain("--kernel"));
    }

    [TestCase("rt")]
    [TestCase("generic")]
    public void A_known_kernel_gets_past_the_command_line(string value)
    {
        // As nobody the next thing is the root check; as root the lab would start, so only the unprivileged run is quick.
        if (Environment.IsPrivilegedProcess)
            Assert.Ignore("runs only unprivileged (validate selftest runs unit tests as nobody)");
        var run = Cli.Run(Limit, "vlab", "--kernel", value, "--", "true");
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.SetupError), run.ToString());
        Assert.That(run.Stderr, Does.Contain("needs root"));
    }

    [Test]
    public void Vlab_help_names_both_kernels_and_their_packages()
    {
        var run = Cli.Run(Limit, "vlab", "--help");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Stdout, Does.Contain("--kernel").And.Contain("rt (Debian's PREEMPT_RT kernel, linux-image-rt-amd64)")
            .And.Contain("generic (Debian's standard kernel, linux-image-amd64)"));
    }
}
