using System.Diagnostics;
using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class ShellQuoteTests
{
    [Test]
    public void Quoted_words_reach_a_real_shell_unchanged()
    {
        string[] words = ["plain", "with space", "it's", "$HOME", "`id`", "a\"b", "", "tab\there", "new\nline", "*", "--", ";exit 3"];
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("printf '%s\\0' " + ShellQuote.Join(words));
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();

        Assert.That(output.Split('\0')[..^1], Is.EqualTo(words));
    }

    [Test]
    public void The_command_script_falls_back_to_root_when_the_directory_is_hidden()
    {
        var script = VirtualLab.CommandScript("/tmp/x y", ["echo", "a b"]);
        Assert.That(script, Does.Contain("cd '/tmp/x y'").And.Contain("exec echo 'a b'").And.Contain("cd /;"));
    }
}
