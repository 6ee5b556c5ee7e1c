using NUnit.Framework;
using Validate.Devices;
using Validate.Plans;
using Validate.TestSupport;
using Validate.UnitTests.Devices;

namespace Validate.UnitTests.CommandLine;

/// <summary>
/// validate new-plan through the built CLI: a mistake is one line with its status (2 usage, 4 no such card),
/// an existing file is not overwritten without --force, and `validate run --check` on a skeleton says, one
/// line each, which values are still TODO and what goes there.
/// </summary>
public class NewPlanCliTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static void AssertOneLineError(CliRun run, int status, params string[] mentions)
    {
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(status), run.ToString());
            Assert.That(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), run.ToString());
            Assert.That(run.Stderr, Does.StartWith("validate: ").And.Not.Contain("   at "));
            Assert.That(run.Stdout, Is.Empty, "no plan written on an error");
            foreach (var m in mentions) Assert.That(run.Stderr, Does.Contain(m), run.ToString());
        });
    }

    [Test]
    public void An_address_that_is_no_pci_address_is_a_usage_error() =>
        AssertOneLineError(Cli.Run(Limit, "new-plan", "--card", "eth0"), ExitCodes.Usage, "--card eth0", "DDDD:BB:DD.F");

    [Test]
    public void A_card_the_machine_does_not_have_is_named_with_validate_devices() =>
        AssertOneLineError(Cli.Run(Limit, "new-plan", "--card", "0000:7e:1f.7"), ExitCodes.SetupError, "no PCI function at 0000:7e:1f.7", "validate devices");

    [Test]
    public void An_existing_file_is_not_overwritten_without_force()
    {
        var dir = Directory.CreateTempSubdirectory("validate-new-plan-").FullName;
        try
        {
            var file = Path.Combine(dir, "card.json");
            File.WriteAllText(file, "mine");
            AssertOneLineError(Cli.Run(Limit, "new-plan", "--card", "0000:7e:1f.7", "--out", file), ExitCodes.Usage, file, "--force");
            Assert.That(File.ReadAllText(file), Is.EqualTo("mine"));
            // With --force it gets as far as the card, which this machine does not have.
            AssertOneLineError(Cli.Run(Limit, "new-plan", "--card", "0000:7e:1f.7", "--out", file, "--force"), ExitCodes.SetupError, "0000:7e:1f.7");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Check_on_a_skeleton_lists_each_todo_on_its_own_line_with_what_to_put_there()
    {
        using var tree = new FakePciTree();
        var dir = Directory.CreateTempSubdirectory("validate-new-plan-").FullName;
        try
        {
            var fn = new FakeFunction("0000:00:04.0", 0x1234, 0x11e8, 0x10, 0x00ff00, [new FakeBar(0, "mem32", 1 << 20)], MsiVectors: 1, Driver: "uio_pci_generic");
            tree.Add(fn);
            var skeleton = PlanSkeleton.Build(CardSurvey.Read(fn.Address, tree.Sys, _ => null));
            var file = Path.Combine(SkeletonFill.PlanFolder(dir), "edu.json");
            File.WriteAllText(file, PlanSkeleton.Format(skeleton));
            var todos = PlanSkeleton.TodoPaths(skeleton);

            var run = Cli.Run(Limit, "run", file, "--check");
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InputError), run.ToString());
            var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(todos.Count + 1), run.ToString());
            Assert.That(lines[^1], Is.EqualTo($"({todos.Count} errors)"));
            Assert.That(lines[..^1].Select(l => l.Replace("validate: ", "", StringComparison.Ordinal)),
                Is.All.Match($"^{System.Text.RegularExpressions.Regex.Escape(file)}: [a-zA-Z:0-9]+: still a TODO from validate new-plan: \\S"));
            foreach (var t in todos) Assert.That(lines, Has.One.Contains($": {t}: still a TODO"), t);
            Assert.That(run.Stderr, Does.Contain("irqProgram:ack: still a TODO from validate new-plan: the steps that acknowledge an interrupt"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
