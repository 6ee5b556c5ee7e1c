using NUnit.Framework;
using Validate.Selftest;

namespace Validate.UnitTests.Selftest;

public class TestCountsTests
{
    /// <summary>Calls <paramref name="check"/> with the path of a TRX file holding <paramref name="results"/>, deleted after.</summary>
    private static void WithTrx(string results, Action<string> check)
    {
        var path = Path.Combine(Path.GetTempPath(), $"validate-counts-{Guid.NewGuid():N}.trx");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Results>
            {results}
              </Results>
            </TestRun>
            """);
        try
        {
            check(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Trx_outcomes_are_counted() => WithTrx("""
            <UnitTestResult testName="a" outcome="Passed" />
            <UnitTestResult testName="b" outcome="Passed" />
            <UnitTestResult testName="c" outcome="Failed" />
            <UnitTestResult testName="d" outcome="NotExecuted" />
            <UnitTestResult testName="e" outcome="Timeout" />
        """, path => Assert.That(TestCounts.FromTrx(path), Is.EqualTo(new TestCounts(2, 2, 1))));

    [Test]
    public void Tap_results_and_skips_are_counted()
    {
        string[] tap = ["TAP version 13", "1..4", "ok 1 events in order", "not ok 2 overrun reported", "ok 3 msi # SKIP no MSI", "ok 4 teardown", "# totals"];
        Assert.That(TestCounts.FromTap(tap), Is.EqualTo(new TestCounts(2, 1, 1)));
    }

    [Test]
    public void A_tap_plan_that_is_not_met_counts_the_missing_tests_as_failed()
    {
        // The runner crashed after test 2 of 5: the three never reported are failures, not nothing.
        string[] tap = ["1..5", "ok 1 a", "ok 2 b"];
        Assert.That(TestCounts.FromTap(tap), Is.EqualTo(new TestCounts(2, 3, 0)));
    }

    [TestCase(3, 0, 0, "3 passed, 0 failed")]
    [TestCase(3, 1, 2, "3 passed, 1 failed, 2 skipped")]
    public void The_closing_line_has_the_form_ci_reads(int passed, int failed, int skipped, string expected) =>
        Assert.That(new TestCounts(passed, failed, skipped).Summary(), Is.EqualTo(expected));

    [Test]
    public void The_failed_tests_are_named_with_the_first_line_of_their_message()
    {
        WithTrx("""
                <UnitTestResult testName="a" outcome="Passed" />
                <UnitTestResult testName="b_fails" outcome="Failed"><Output><ErrorInfo><Message>
                  vfio-msi-idle: total p99 48 ms > limit 20 ms
                  Expected: Pass
                </Message><StackTrace>at X</StackTrace></ErrorInfo></Output></UnitTestResult>
                <UnitTestResult testName="c" outcome="NotExecuted" />
                <UnitTestResult testName="d_times_out" outcome="Timeout" />
            """, path => Assert.That(TestCounts.FailuresFromTrx(path, width: 40), Is.EqualTo(new[]
            {
                "b_fails: vfio-msi-idle: total p99 48 ...",
                "d_times_out: Timeout",
            })));
        // Of an Assert.Multiple, its first failure and how many there were, not the header alone.
        WithTrx("""
                <UnitTestResult testName="e_many" outcome="Failed"><Output><ErrorInfo><Message>Multiple failures or warnings in test:
                  1) valirq-msi-idle: total p99 48 ms
                  Expected: Pass
                  But was:  Fail

                  2) uio-idle
                  Expected: 0
                  But was:  3
                </Message></ErrorInfo></Output></UnitTestResult>
            """, path => Assert.That(TestCounts.FailuresFromTrx(path), Is.EqualTo(new[]
            {
                "e_many: 1 of 2: valirq-msi-idle: total p99 48 ms / Expected: Pass / But was:  Fail",
            })));
        string[] tap = ["1..3", "ok 1 a", "not ok 2 overrun reported", "not ok 3 msi # SKIP no MSI"];
        Assert.That(TestCounts.FailuresFromTap(tap), Is.EqualTo(new[] { "not ok 2 overrun reported" }));
    }
}
