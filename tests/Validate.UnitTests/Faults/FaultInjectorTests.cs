using NUnit.Framework;
using Validate.Faults.Injectors;
using Validate.Plans;

namespace Validate.UnitTests.Faults;

/// <summary>Every fault kind a plan may name has its injector, and only those: a kind is one class in Faults/Injectors/.</summary>
public class FaultInjectorTests
{
    [Test]
    public void Every_fault_kind_of_the_plans_has_one_injector_and_no_injector_is_unreachable()
    {
        Assert.That(FaultInjectors.Kinds, Is.EquivalentTo(FaultPlan.Kinds));
        foreach (var kind in FaultPlan.Kinds)
            Assert.That(FaultInjectors.For(kind).Kind, Is.EqualTo(kind));
    }

    [Test]
    public void Each_suite_gets_its_own_injector()
    {
        var a = FaultInjectors.For("rebind");
        var b = FaultInjectors.For("rebind");
        Assert.That(a, Is.Not.SameAs(b), "an injector keeps state between the phases of a repetition");
    }

    [Test]
    public void Only_a_revocation_keeps_the_driver_process()
    {
        Assert.That(FaultPlan.Kinds.Where(k => !FaultInjectors.For(k).Restarts), Is.EqualTo(new[] { "revoke", "revoke-in-handler" }));
        Assert.That(FaultPlan.Kinds.Where(FaultPlan.IsRevoke), Is.EqualTo(new[] { "revoke", "revoke-in-handler" }));
    }

    [Test]
    public void An_unknown_kind_is_named_with_the_kinds_there_are()
    {
        var e = Assert.Throws<ValidateException>(() => FaultInjectors.For("unplug"))!;
        Assert.That(e.Message, Does.Contain("'unplug'").And.Contain("kill-in-handler"));
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError));
    }
}
