using System.Text.Json;
using NUnit.Framework;
using Validate.Engine;
using Validate.Plans;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.Engine;

/// <summary>
/// A suite's configuration hash changes exactly when what is measured changes: its resolved parameters
/// (plan, defaults, environment, --set), the kernel's configuration or the card's revision; not when a
/// limit changes. The history keys its night-over-night comparison on it.
/// </summary>
public class SuiteConfigurationTests
{
    private static readonly string Edu = Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json");

    private static string HashOf(string suite, string[] overrides, string kernel = "k1", string revision = "10")
    {
        var plan = PlanLoader.Load(Edu, overrides, cpuCount: 2);
        return SuiteConfiguration.Hash(SuiteConfiguration.Parameters(plan, plan.Suites.First(s => s.Name == suite)), kernel, revision);
    }

    [Test]
    public void The_same_plan_gives_the_same_hash()
    {
        var first = HashOf("valirq-msi-idle", []);
        Assert.That(HashOf("valirq-msi-idle", []), Is.EqualTo(first).And.Length.EqualTo(16));
    }

    [TestCase("suiteDefaults:rateHz=200")]
    [TestCase("suiteDefaults:count=100")]
    [TestCase("suiteDefaults:priority=70")]
    [TestCase("suiteDefaults:warmup=5")]
    [TestCase("loads:cpu:commands:0:args:1=1")]
    [TestCase("suites:0:trace:enabled=false")]
    [TestCase("suites:0:irqPriority=90")]
    public void A_parameter_that_changes_what_is_measured_changes_the_hash(string set) =>
        Assert.That(HashOf(set.StartsWith("loads", StringComparison.Ordinal) ? "valirq-msi-cpu" : "valirq-msi-idle", [set]),
            Is.Not.EqualTo(HashOf(set.StartsWith("loads", StringComparison.Ordinal) ? "valirq-msi-cpu" : "valirq-msi-idle", [])));

    [Test]
    public void Another_kernel_configuration_or_card_revision_changes_the_hash()
    {
        Assert.That(HashOf("valirq-msi-idle", [], kernel: "k2"), Is.Not.EqualTo(HashOf("valirq-msi-idle", [])));
        Assert.That(HashOf("valirq-msi-idle", [], revision: "11"), Is.Not.EqualTo(HashOf("valirq-msi-idle", [])));
    }

    [Test]
    public void A_new_limit_is_recorded_but_keeps_the_hash()
    {
        var plan = PlanLoader.Load(Edu, ["suiteDefaults:limits:stages:total:p99=9ms"], cpuCount: 2);
        var p = SuiteConfiguration.Parameters(plan, plan.Suites.First(s => s.Name == "valirq-msi-idle"));
        Assert.That(p.Limits, Has.Some.Contains("total p99"));
        Assert.That(HashOf("valirq-msi-idle", ["suiteDefaults:limits:stages:total:p99=9ms"]), Is.EqualTo(HashOf("valirq-msi-idle", [])));
    }

    [Test]
    public void The_plan_records_its_overrides_in_the_order_applied()
    {
        var plan = PlanLoader.Load(Edu, ["suiteDefaults:count=100", "suites:0:rateHz=50"], cpuCount: 2);
        Assert.That(plan.Overrides, Is.EqualTo(new[] { "suiteDefaults:count=100", "suites:0:rateHz=50" }));
    }

    [Test]
    public void The_diff_names_each_changed_parameter()
    {
        var plan = PlanLoader.Load(Edu, [], cpuCount: 2);
        var a = SuiteConfiguration.Parameters(plan, plan.Suites[0]);
        Assert.That(Validate.Reports.History.HistoryStore.JsonDiff(JsonSerializer.Serialize(a, RunResults.Json), JsonSerializer.Serialize(a with { RateHz = a.RateHz * 2, Cpus = [0] }, RunResults.Json)),
            Is.EqualTo(new[] { $"cpus: {string.Join(", ", a.Cpus)} -> 0", $"rateHz: {a.RateHz} -> {a.RateHz * 2}" }));
    }
}
