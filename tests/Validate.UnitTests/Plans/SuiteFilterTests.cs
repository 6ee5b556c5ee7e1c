using NUnit.Framework;
using Validate.Plans;

namespace Validate.UnitTests.Plans;

/// <summary>`validate run --filter` is decided before the run (its suites, their order, the ETA): the test platform's syntax over the plan's suites.</summary>
public class SuiteFilterTests
{
    private static readonly Plan Edu = PlanLoader.Load(Path.Combine(TestSupport.Cli.Layout.Root, "testplans", "qemu", "edu.json"), []);

    private static string[] Names(string? filter) => [.. SuiteFilter.Select(Edu, filter).Select(s => s.Name)];

    [Test]
    public void No_filter_selects_every_suite_in_the_plans_order() =>
        Assert.That(Names(null), Is.EqualTo(Edu.Suites.Select(s => s.Name)));

    [TestCase("cat=fault")]
    [TestCase("cat==fault")]
    [TestCase("Kind=fault")]
    [TestCase("Category=FAULT")]
    public void A_category_selects_the_fault_suites_and_keeps_their_order(string filter) =>
        Assert.That(Names(filter), Is.EqualTo(Edu.Suites.Where(s => s.IsFault).Select(s => s.Name)).And.Not.Empty);

    [Test]
    public void Contains_or_and_not_combine_with_and_binding_first()
    {
        var valirqLatency = Edu.Suites.Where(s => !s.IsFault && s.Backend == BackendKind.Valirq).Select(s => s.Name);
        Assert.That(Names("Backend=valirq&cat!=fault"), Is.EqualTo(valirqLatency).And.Not.Empty);
        Assert.That(Names("Name~idle-msi|Name~kill-idle&Mode=msi"),
            Is.EqualTo(Edu.Suites.Where(s => s.Name.Contains("idle-msi", StringComparison.Ordinal) || s.Name.Contains("kill-idle", StringComparison.Ordinal) && s.Mode == "msi").Select(s => s.Name)));
        Assert.That(Names("!(cat=fault)"), Is.EqualTo(Edu.Suites.Where(s => !s.IsFault).Select(s => s.Name)));
        Assert.That(Names("Name!~valirq"), Has.None.Contains("valirq"));
    }

    [Test]
    public void A_bare_value_and_FullyQualifiedName_match_the_suites_test_name()
    {
        var first = Edu.Suites[0].Name;
        Assert.That(Names(first), Does.Contain(first));
        Assert.That(Names($"FullyQualifiedName~PlanSuite({first})"), Is.EqualTo(new[] { first }));
    }

    [TestCase("Name~", "no value after 'Name~'")]
    [TestCase("(cat=fault", "missing ')'")]
    [TestCase("cat=fault)", "unexpected ')'")]
    [TestCase("Colour=red", "unknown property 'Colour'")]
    [TestCase("cat=fault&", "a condition is missing")]
    public void A_bad_filter_is_one_usage_line_naming_the_mistake(string filter, string what)
    {
        var e = Assert.Throws<ValidateException>(() => SuiteFilter.Select(Edu, filter))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(e.Message, Does.Contain(what).And.Not.Contain("\n"));
    }
}
