using NUnit.Framework;
using Validate.Engine;
using Validate.Plans;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.Engine;

/// <summary>
/// The lifecycle every kind of suite shares (<see cref="SuiteScope"/>): what was set up is undone newest
/// first whatever happens, an error becomes the suite's ERROR with its message, the verdict comes after
/// teardown and only from a run that finished, and a stop request leaves ERROR with the partial results.
/// </summary>
[NonParallelizable]
public class SuiteScopeTests
{
    private sealed class FakeRunner(Action<SuiteScope, List<string>> run, Action<SuiteScope>? conclude = null) : ISuiteRunner
    {
        public readonly List<string> Log = [];
        public bool Runs(SuitePlan suite) => true;
        public string Describe(SuitePlan suite) => "fake";
        public void Run(SuiteScope scope) => run(scope, Log);
        public void Conclude(SuiteScope scope)
        {
            Log.Add("conclude");
            if (conclude is not null) conclude(scope);
            else
            {
                scope.Result.Verdict = Verdict.Pass;
                scope.Result.Message = "fine";
            }
        }
    }

    private static (Plan Plan, SuitePlan Suite, RunContext Ctx) Timer()
    {
        var plan = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "generic", "timer.json"), cpuCount: 2);
        var suite = plan.Suites.First(s => s.Load.Commands.Count == 0);
        return (plan, suite, new RunContext(Path.GetTempPath(), _ => { }));
    }

    [TearDown]
    public void ClearAbort() => RunAbort.Reset();

    [Test]
    public void What_was_set_up_is_undone_newest_first_and_the_verdict_comes_after()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((s, log) =>
        {
            s.Defer("first", () => log.Add("undo first"));
            s.Defer("second", () => log.Add("undo second"));
            log.Add("run");
        });
        var r = SuiteScope.Run(runner, plan, suite, ctx);
        Assert.That(runner.Log, Is.EqualTo(new[] { "run", "undo second", "undo first", "conclude" }));
        Assert.That((r.Verdict, r.Name), Is.EqualTo((Verdict.Pass, suite.Name)));
        Assert.That(r.Load!.Profile, Is.EqualTo("idle"), "an idle suite records its (empty) load too");
    }

    [Test]
    public void A_runner_that_throws_is_torn_down_and_the_suite_is_error_with_its_message_and_no_verdict()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((s, log) =>
        {
            s.Defer("binding", () => log.Add("undo binding"));
            throw new ValidateException(ExitCodes.SetupError, "the card is not there");
        });
        var r = SuiteScope.Run(runner, plan, suite, ctx);
        Assert.That(runner.Log, Is.EqualTo(new[] { "undo binding" }), "teardown ran; conclude did not");
        Assert.That((r.Verdict, r.Message), Is.EqualTo((Verdict.Error, "the card is not there")));
    }

    [Test]
    public void A_runner_bug_still_leaves_the_machine_as_found_and_goes_on_up()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((s, log) =>
        {
            s.Defer("binding", () => log.Add("undo binding"));
            throw new InvalidOperationException("Sequence contains no elements");
        });
        Assert.Throws<InvalidOperationException>(() => SuiteScope.Run(runner, plan, suite, ctx));
        Assert.That(runner.Log, Is.EqualTo(new[] { "undo binding" }), "the binding is undone before the bug surfaces");
    }

    [Test]
    public void A_failing_teardown_step_still_lets_the_others_run_and_names_what_it_was_undoing()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((s, log) =>
        {
            s.Defer("binding of 0000:00:04.0 to valirq", () => log.Add("undo binding"));
            s.Defer("load", () => throw new IOException("broken pipe"));
        });
        var r = SuiteScope.Run(runner, plan, suite, ctx);
        Assert.That(runner.Log, Is.EqualTo(new[] { "undo binding" }));
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(r.Message, Is.EqualTo("undoing the load: broken pipe"));
    }

    [Test]
    public void A_stop_request_leaves_error_with_the_partial_results()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((_, _) => RunAbort.Request("SIGTERM"));
        var r = SuiteScope.Run(runner, plan, suite, ctx);
        Assert.That(r.Verdict, Is.EqualTo(Verdict.Error));
        Assert.That(r.Message, Is.EqualTo("interrupted (SIGTERM); partial results: fine"));
    }

    [Test]
    public void A_skipped_suite_is_not_judged()
    {
        var (plan, suite, ctx) = Timer();
        var runner = new FakeRunner((s, _) => { s.Result.Verdict = Verdict.Skipped; s.Result.Message = "needs a second card"; });
        var r = SuiteScope.Run(runner, plan, suite, ctx);
        Assert.That(runner.Log, Is.Empty);
        Assert.That((r.Verdict, r.Message), Is.EqualTo((Verdict.Skipped, "needs a second card")));
    }

    [Test]
    public void A_session_refuses_a_plan_with_a_suite_no_runner_runs_before_touching_the_machine()
    {
        var (plan, _, ctx) = Timer();
        var e = Assert.Throws<ValidateException>(() => RunSession.Start(plan, ctx, [new FaultOnly()]))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError));
        Assert.That(e.Message, Does.Contain("no runner for its kind"));
    }

    private sealed class FaultOnly : ISuiteRunner
    {
        public bool Runs(SuitePlan suite) => suite.IsFault;
        public string Describe(SuitePlan suite) => "";
        public void Run(SuiteScope scope) { }
        public void Conclude(SuiteScope scope) { }
    }
}
