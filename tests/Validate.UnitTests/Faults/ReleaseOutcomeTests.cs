using NUnit.Framework;
using Validate.Devices;
using Validate.Analysis;
using Validate.Faults;
using Validate.Interop;
using Validate.Plans;
using Validate.Results;

namespace Validate.UnitTests.Faults;

/// <summary>
/// What valirq's release did in each repetition of a fault suite (quiesced, reset, neither, none,
/// unobserved), read from its sysfs or from a record's flags as the driver reported it, summed per suite;
/// "neither" is a finding unless explained; INTx held disabled by valirq only for "off" is no line problem.
/// </summary>
public class ReleaseOutcomeTests
{
    private static ValirqSysfs Sysfs(string? lastRelease, string? hold = "off", params (string Name, long Value)[] counters) =>
        new(counters.ToDictionary(c => c.Name, c => c.Value), "off", lastRelease, hold, false, false, true);

    [TestCase("quiesced", ReleaseOutcome.Quiesced)]
    [TestCase("reset", ReleaseOutcome.Reset)]
    [TestCase("neither", ReleaseOutcome.Neither)]
    [TestCase("none", ReleaseOutcome.None)]
    public void Sysfs_last_release_after_a_known_release_names_the_outcome(string last, string expected) =>
        Assert.That(ReleaseOutcome.FromSysfs(Sysfs("quiesced", "off", ("quiesces", 4)), Sysfs(last, "off", ("quiesces", 5))), Is.EqualTo(expected));

    [Test]
    public void Without_last_release_the_counters_that_moved_tell()
    {
        var before = Sysfs(null, null, ("quiesces", 2), ("quiesce_failures", 0), ("resets", 0), ("reset_failures", 0));
        Assert.Multiple(() =>
        {
            Assert.That(ReleaseOutcome.FromSysfs(before, Sysfs(null, null, ("quiesces", 3), ("quiesce_failures", 0), ("resets", 0))), Is.EqualTo(ReleaseOutcome.Quiesced));
            Assert.That(ReleaseOutcome.FromSysfs(before, Sysfs(null, null, ("quiesces", 3), ("quiesce_failures", 1), ("resets", 0))), Is.EqualTo(ReleaseOutcome.Neither));
            Assert.That(ReleaseOutcome.FromSysfs(before, Sysfs(null, null, ("quiesces", 3), ("quiesce_failures", 1), ("resets", 1))), Is.EqualTo(ReleaseOutcome.Reset),
                "quiesce-then-reset: the quiesce failed, the reset silenced the card");
            Assert.That(ReleaseOutcome.FromSysfs(before, Sysfs(null, null, ("quiesces", 2), ("reset_failures", 1))), Is.EqualTo(ReleaseOutcome.Neither), "a reset that failed");
            Assert.That(ReleaseOutcome.FromSysfs(before, before), Is.EqualTo(ReleaseOutcome.Unobserved));
        });
    }

    [Test]
    public void A_card_gone_from_sysfs_is_unobserved_there() =>
        Assert.That(ReleaseOutcome.FromSysfs(Sysfs("quiesced"), ValirqSysfs.Absent), Is.EqualTo(ReleaseOutcome.Unobserved));

    [TestCase(Valirq.EvQuiesced, ReleaseOutcome.Quiesced)]
    [TestCase(Valirq.EvReset, ReleaseOutcome.Reset)]
    [TestCase(Valirq.EvUnquiesced, ReleaseOutcome.Neither)]
    [TestCase(Valirq.EvGone | Valirq.EvQuiesced, ReleaseOutcome.Quiesced)]
    [TestCase(Valirq.EvOverrun, null)]
    [TestCase(0u, null)]
    public void Record_flags_name_the_outcome(uint flags, string? expected) => Assert.That(ReleaseOutcome.FromFlags(flags), Is.EqualTo(expected));

    [Test]
    public void Sysfs_wins_over_the_drivers_report_which_stands_in_when_sysfs_saw_nothing()
    {
        Assert.That(ReleaseOutcome.Combine(ReleaseOutcome.Reset, ReleaseOutcome.Quiesced), Is.EqualTo(ReleaseOutcome.Reset));
        Assert.That(ReleaseOutcome.Combine(ReleaseOutcome.Unobserved, ReleaseOutcome.Quiesced), Is.EqualTo(ReleaseOutcome.Quiesced), "rebind: the GONE record's flags");
        Assert.That(ReleaseOutcome.Combine(ReleaseOutcome.Unobserved, null), Is.EqualTo(ReleaseOutcome.Unobserved));
        Assert.That(ReleaseOutcome.Combine(ReleaseOutcome.Unobserved, "bogus"), Is.EqualTo(ReleaseOutcome.Unobserved));
    }

    private static FaultResult Result(params string?[] outcomes) => new()
    {
        Kind = "kill-in-handler", Driver = "card-aot", Program = "/x", Mode = "msi", RepetitionsPlanned = outcomes.Length,
        Repetitions = [.. outcomes.Select((o, i) => new FaultRepetition(i + 1, 0, [new TimelineEvent("first interrupt", 5)], [], [], o))],
    };

    [Test]
    public void The_outcomes_are_summed_per_suite_and_a_clean_suite_has_no_finding()
    {
        var fr = Result("quiesced", "quiesced", "reset", "none", null);
        var findings = FaultVerdict.ReleaseFindings("kill-in-handler", "quiesce-then-reset", fr);
        Assert.That(findings, Is.Empty);
        Assert.That(fr.Release, Is.EqualTo(new ReleaseCounts(2, 1, 0, 1, 1)));
    }

    [Test]
    public void A_release_that_left_the_card_interrupting_is_a_finding_naming_the_repetitions_and_the_policy()
    {
        var fr = Result("quiesced", "neither", "quiesced", "neither");
        var findings = FaultVerdict.ReleaseFindings("kill-random", "quiesce", fr);
        Assert.That(findings, Has.Count.EqualTo(1));
        Assert.That(findings[0], Does.StartWith("valirq's release left the card interrupting (neither quiesced nor reset) in 2 of 4 repetitions (repetition 2, 4)")
            .And.Contain("release is quiesce and the quiesce program did not silence it"));
        Assert.That(fr.Release!.Neither, Is.EqualTo(2));
        Assert.That(fr.Explained, Is.Empty);
    }

    [Test]
    public void Under_reset_the_finding_says_whether_the_reset_failed_or_the_card_kept_interrupting_after_it()
    {
        var kept = Result("neither");
        kept.ValirqCounters["resets"] = 1;
        Assert.That(FaultVerdict.ReleaseFindings("kill-in-handler", "reset", kept).Single(),
            Does.EndWith("release is reset and the card still interrupted after valirq reset it (resets +1: it keeps its interrupt state over a function reset)"));
        var failed = Result("neither");
        failed.ValirqCounters["reset_failures"] = 1;
        Assert.That(FaultVerdict.ReleaseFindings("kill-in-handler", "quiesce-then-reset", failed).Single(),
            Does.EndWith("release is quiesce-then-reset and the quiesce program did not silence it and the reset failed (reset_failures +1)"));
        Assert.That(FaultVerdict.ReleasePhrase("quiesce-then-reset"), Is.EqualTo("the quiesce program and the reset"));
    }

    [Test]
    public void A_revoked_openers_release_runs_no_quiesce_steps_so_neither_is_explained_when_the_reopened_driver_served_the_card()
    {
        var fr = Result("neither", "none");
        Assert.That(FaultVerdict.ReleaseFindings("revoke", "quiesce", fr), Is.Empty);
        Assert.That(fr.Explained.Single(), Does.StartWith("neither in repetition 1: a revoked opener's release runs no quiesce steps"));
        Assert.That(FaultVerdict.ReleaseFindings("revoke-in-handler", "quiesce", Result("neither", "none")), Is.Empty, "the same revocation, made in the handler");

        var stuck = Result("neither");
        stuck.Repetitions[0].Events.Clear();    // the reopened driver never handled an interrupt
        Assert.That(FaultVerdict.ReleaseFindings("revoke", "quiesce", stuck), Has.Count.EqualTo(1), "not explained when nobody served the card afterwards");
    }

    [Test]
    public void Mismatches_on_INTx_are_a_finding_and_on_MSI_explained_while_every_raise_is_accounted_for()
    {
        var clean = new FaultCounts(100, 90, 100, 0, 0, 0, 0, 0, 3, []);
        var intx = Result("quiesced");
        intx.Accounting = clean;
        Assert.That(FaultVerdict.MismatchFinding("intx-pci23", 2, intx), Does.StartWith("valirq masked the card 2 times because it asserted INTx against the IRQ program"));
        var msi = Result("quiesced");
        msi.Accounting = clean;
        Assert.That(FaultVerdict.MismatchFinding("msi", 27, msi), Is.Null);
        Assert.That(msi.Explained.Single(), Does.StartWith("27 MSIs valirq's check did not recognise"));
        var lossy = Result("quiesced");
        lossy.Accounting = clean with { LostUnexplained = 1 };
        Assert.That(FaultVerdict.MismatchFinding("msi", 27, lossy), Does.Contain("the accounting does not explain them"));
        Assert.That(FaultVerdict.MismatchFinding("msi", 0, lossy), Is.Null);
    }

    [Test]
    public void INTx_held_disabled_by_valirq_only_because_no_handler_is_installed_is_no_line_problem()
    {
        Assert.Multiple(() =>
        {
            Assert.That(FaultVerdict.LineProblemOfIntx(Sysfs("quiesced", "off")), Is.Null);
            Assert.That(FaultVerdict.LineProblemOfIntx(Sysfs("neither", "off loud")), Does.StartWith("INTx left disabled at the card (masked), valirq holds it: off loud"));
            Assert.That(FaultVerdict.LineProblemOfIntx(Sysfs("quiesced", "handler")), Does.Contain("valirq holds it: handler"));
            Assert.That(FaultVerdict.LineProblemOfIntx(Sysfs("quiesced", "none")), Does.Contain("not by valirq (intx_hold none)"));
            Assert.That(FaultVerdict.LineProblemOfIntx(null), Does.Contain("by nobody (not bound to valirq)"));
        });
    }

    [Test]
    public void The_plans_release_policy_reaches_valirq_as_its_number()
    {
        var q = new ValirqQuiesce { Policy = Valirq.ReleaseQuiesceThenReset };
        var plan = new Plan("p.json", "p", null, new CardIdentity("c", 1, 2, null, null, null), new Dictionary<string, ValirqReg>(), null, q, null,
            new RealtimeSettings(true, 80, true, true), []);
        Assert.That(plan.Release, Is.EqualTo("quiesce-then-reset"));
    }
}
