using NUnit.Framework;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Plans;

/// <summary>
/// Plans are read strictly and every class of mistake is one clear error that names the file, the key
/// path and what was expected. Each test writes a plan (and a defaults.json beside it) to a scratch folder.
/// </summary>
public class PlanLoaderTests
{
    private string _dir = "";

    private const string Minimal = """
        {
          "schema": 1,
          "name": "test card",
          "card": { "name": "edu", "vendor": "0x1234", "device": "0x11e8" },
          "registers": { "irqStatus": { "bar": 0, "offset": "0x24" }, "irqRaise": { "bar": 0, "offset": "0x60" }, "irqAck": { "bar": 0, "offset": "0x64" } },
          "irqProgram": { "check": { "op": "read-ne", "register": "irqStatus" }, "ack": [ { "op": "write-status", "register": "irqAck" } ] },
          "stimulus": { "register": "irqRaise", "value": 1 },
          "suites": [ { "name": "msi", "backend": "valirq", "mode": "msi", "count": 100, "cpus": [ 0 ] } ]
        }
        """;

    [SetUp]
    public void MakeDir()
    {
        _dir = Directory.CreateTempSubdirectory("validate-plan-test-").FullName;
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private string Write(string json, string name = "plan.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Loads a plan that must fail; returns its errors.</summary>
    private static IReadOnlyList<PlanError> Errors(string path, params string[] overrides)
    {
        var e = Assert.Throws<PlanException>(() => PlanLoader.Load(path, overrides, cpuCount: 2))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError));
        return e.Errors;
    }

    private string WithSuite(string suiteJson) =>
        Write(Minimal.Replace("""{ "name": "msi", "backend": "valirq", "mode": "msi", "count": 100, "cpus": [ 0 ] }""", suiteJson, StringComparison.Ordinal));

    [TestCase("qemu/edu.json")]
    [TestCase("generic/timer.json")]
    [TestCase("intel/82574l.json")]
    [TestCase("intel/82540em.json")]
    public void Shipped_plans_are_valid(string plan)
    {
        var p = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", plan), cpuCount: 2);
        Assert.That(p.Suites, Is.Not.Empty);
    }

    [Test]
    public void The_shipped_plans_cover_every_valirq_mode_uio_and_timer()
    {
        var p = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json"), cpuCount: 2);
        var intel = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "intel", "82574l.json"), cpuCount: 2);
        var valirqModes = p.Suites.Concat(intel.Suites).Where(s => s.Backend == BackendKind.Valirq && !s.IsFault).Select(s => s.Mode).Distinct();
        Assert.That(valirqModes, Is.SupersetOf(PlanValidator.ValirqModes.Where(m => m != "msix")), "edu: every mode it has");
        Assert.That(intel.Suites.Where(s => !s.IsFault).Select(s => s.Mode), Does.Contain("msix"), "the 82574L: MSI-X");
        Assert.That(p.Suites.Select(s => s.Backend), Does.Contain(BackendKind.Uio).And.Contain(BackendKind.Timer));
        Assert.That(p.Suites.Where(s => s.Load.Commands.Count > 0), Is.Not.Empty, "some suite runs under load");
    }

    [Test]
    public void A_minimal_plan_loads_with_defaults_filled_in()
    {
        var p = PlanLoader.Load(Write(Minimal), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.That((s.Name, s.Backend, s.Mode, s.Count, s.Priority, s.Load.Name), Is.EqualTo(("msi", BackendKind.Valirq, "msi", 100, 80, "idle")));
        Assert.That(p.Program!.Value.Check.Reg.Offset, Is.EqualTo(0x24u), "hex strings convert");
        Assert.That(p.Stimulus!.Register.Offset, Is.EqualTo(0x60u));
    }

    [Test]
    public void Invalid_json_names_the_file_and_the_line()
    {
        var path = Write("{\n  \"schema\": 1,\n  \"name\": \"x\"\n  \"card\": {}\n}");
        var e = Errors(path).Single();
        Assert.That(e.ToString(), Does.StartWith(path).And.Contain("not valid JSON").And.Contain("line 4"));
    }

    [Test]
    public void A_missing_file_is_one_error_saying_so()
    {
        var e = Errors(Path.Combine(_dir, "nope.json")).Single();
        Assert.That(e.Message, Does.Contain("no such file"));
    }

    [Test]
    public void An_unknown_key_names_its_path_and_the_keys_expected()
    {
        var e = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "lod": "cpu", "count": 1, "cpus": [0] }""")).Single();
        Assert.That(e.KeyPath, Is.EqualTo("suites:0:lod"));
        Assert.That(e.Message, Does.Contain("unknown key").And.Contain("load"));
        Assert.That(e.Source, Does.EndWith("plan.json"));
    }

    [Test]
    public void A_trace_freeze_needs_a_threshold_on_a_stage_the_loop_sees_and_freezeAfter_needs_freeze()
    {
        var onTraceStage = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { "thresholds": { "wakeup-running": "1ms" }, "freeze": true } }""")).Single();
        Assert.That(onTraceStage.KeyPath, Is.EqualTo("suites:0:trace:freeze"));
        Assert.That(onTraceStage.Message, Does.Contain("raise-hardirq, hardirq-thread, thread-user, total").And.Contain("give one a threshold"));
        var withoutFreeze = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { "thresholds": { "total": "1ms" }, "freezeAfter": "5ms" } }""")).Single();
        Assert.That((withoutFreeze.KeyPath, withoutFreeze.Message), Is.EqualTo(("suites:0:trace:freezeAfter", "freezeAfter says how long after the crossing the ring is frozen; set \"freeze\": true, or remove it")));
        var tooLong = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { "thresholds": { "total": "1ms" }, "freeze": true, "freezeAfter": "11s" } }""")).Single();
        Assert.That(tooLong.KeyPath, Is.EqualTo("suites:0:trace:freezeAfter"));
        var p = PlanLoader.Load(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { "thresholds": { "total": "1ms" }, "freeze": true, "freezeAfter": "5ms", "marker": false } }"""), cpuCount: 2);
        Assert.That(p.Suites.Single().Trace, Is.EqualTo(new TracePlan(p.Suites.Single().Trace!.Thresholds, 3, 16384, Marker: false, Freeze: true, FreezeAfterNs: 5_000_000)));
        Assert.That(PlanLoader.Load(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { "enabled": true } }"""), cpuCount: 2).Suites.Single().Trace!.Marker,
            Is.True, "a marker per sample unless the plan says not");
        // An empty object reads as not given in the configuration tree: said, not silently untraced.
        var empty = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "count": 1, "cpus": [0], "trace": { } }""")).Single();
        Assert.That((empty.KeyPath, empty.Message), Is.EqualTo(("suites:0:trace", "an empty object, which reads as not given; write \"trace\": { \"enabled\": true } to trace with the defaults, or remove it")));
    }

    [Test]
    public void A_value_of_the_wrong_type_says_what_was_expected()
    {
        var e = Errors(WithSuite("""{ "name": "msi", "backend": "valirq", "count": "many", "cpus": [0] }""")).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("suites:0:count", "'many' is not a whole number")));
    }

    [Test]
    public void A_bad_hex_register_offset_is_reported_at_its_key()
    {
        var e = Errors(Write(Minimal.Replace("\"0x24\"", "\"0xZZ\"", StringComparison.Ordinal))).Single();
        Assert.That(e.KeyPath, Is.EqualTo("registers:irqStatus:offset"));
    }

    [TestCase("""{ "name": "a", "backend": "dpdk", "count": 1, "cpus": [0] }""", "suites:0:backend", "use valirq, uio, vfio or timer")]
    [TestCase("""{ "name": "a", "backend": "valirq", "mode": "msi-x", "count": 1, "cpus": [0] }""", "suites:0:mode", "not a valirq mode")]
    [TestCase("""{ "name": "a", "backend": "uio", "mode": "msi", "count": 1, "cpus": [0] }""", "suites:0:mode", "INTx only")]
    [TestCase("""{ "name": "a", "backend": "valirq", "load": "nuclear", "count": 1, "cpus": [0] }""", "suites:0:load", "not a load profile")]
    [TestCase("""{ "name": "a", "backend": "valirq", "cpus": [0] }""", "suites:0:count", "give count")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 0, "cpus": [0] }""", "suites:0:count", "above 0")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [7] }""", "suites:0:cpus", "CPU 7 does not exist")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "priority": 120 }""", "suites:0:priority", "1 to 99")]
    [TestCase("""{ "name": "A B", "backend": "valirq", "count": 1, "cpus": [0] }""", "suites:0:name", "lower-case")]
    [TestCase("""{ "name": "a", "backend": "timer", "count": 1, "rateHz": 0, "cpus": [0] }""", "suites:0:rateHz", "needs a period")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "limits": { "stages": { "wakeup": { "p99": "1ms" } } } }""", "suites:0:limits:stages:wakeup", "not a stage")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "limits": { "stages": { "total": { "p42": "1ms" } } } }""", "suites:0:limits:stages:total:p42", "not a statistic")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "limits": { "stages": { "total": { "p99": "fast" } } } }""", "suites:0:limits:stages:total:p99", "not a duration")]
    [TestCase("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "limits": { "marginal": 1.5 } }""", "suites:0:limits:marginal", "fraction")]
    public void Each_class_of_suite_mistake_is_named_at_its_key(string suite, string keyPath, string says)
    {
        var errors = Errors(WithSuite(suite));
        Assert.That(errors.Select(e => e.KeyPath), Does.Contain(keyPath));
        Assert.That(errors.First(e => e.KeyPath == keyPath).Message, Does.Contain(says));
    }

    [Test]
    public void Duplicate_suite_names_are_refused()
    {
        var path = WithSuite("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0] }, { "name": "a", "backend": "valirq", "count": 1, "cpus": [0] }""");
        Assert.That(Errors(path).Single().Message, Does.Contain("used twice"));
    }

    [Test]
    public void A_register_the_program_names_must_exist()
    {
        var e = Errors(Write(Minimal.Replace("\"register\": \"irqAck\"", "\"register\": \"irqAk\"", StringComparison.Ordinal))).Single();
        Assert.That(e.KeyPath, Is.EqualTo("irqProgram:ack:0:register"));
        Assert.That(e.Message, Does.Contain("irqAck"), "lists the registers there are");
    }

    [Test]
    public void A_check_that_writes_and_a_step_that_reads_are_refused()
    {
        var path = Write(Minimal.Replace("\"op\": \"read-ne\"", "\"op\": \"write\"", StringComparison.Ordinal).Replace("\"op\": \"write-status\"", "\"op\": \"read-eq\"", StringComparison.Ordinal));
        Assert.That(Errors(path).Select(e => e.KeyPath), Is.EquivalentTo(new[] { "irqProgram:check:op", "irqProgram:ack:0:op" }));
    }

    [Test]
    public void Misaligned_and_oversized_registers_are_refused()
    {
        var path = Write(Minimal.Replace("\"offset\": \"0x24\"", "\"offset\": \"0x26\"", StringComparison.Ordinal).Replace("\"bar\": 0, \"offset\": \"0x60\"", "\"bar\": 6, \"offset\": \"0x60\"", StringComparison.Ordinal));
        var errors = Errors(path);
        Assert.That(errors.Select(e => e.KeyPath), Is.EquivalentTo(new[] { "registers:irqStatus:offset", "registers:irqRaise:bar" }));
    }

    [Test]
    public void More_steps_than_valirq_runs_are_refused()
    {
        var nine = string.Join(", ", Enumerable.Repeat("""{ "op": "write", "register": "irqAck" }""", 9));
        var e = Errors(Write(Minimal.Replace("""[ { "op": "write-status", "register": "irqAck" } ]""", $"[ {nine} ]", StringComparison.Ordinal))).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("irqProgram:ack", "9 steps; valirq runs at most 8")));
    }

    [Test]
    public void An_interrupt_backend_needs_a_stimulus()
    {
        var path = Write(Minimal.Replace("\"stimulus\": { \"register\": \"irqRaise\", \"value\": 1 },", "", StringComparison.Ordinal));
        Assert.That(Errors(path).Single().Message, Does.Contain("add \"stimulus\""));
    }

    [Test]
    public void A_wrong_schema_says_which_one_to_use()
    {
        var e = Errors(Write(Minimal.Replace("\"schema\": 1", "\"schema\": 2", StringComparison.Ordinal))).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("schema", "2 is not a plan schema this engine reads; set \"schema\": 1")));
    }

    [Test]
    public void Defaults_apply_and_the_plan_overrides_them()
    {
        Write("""{ "suiteDefaults": { "priority": 70, "rateHz": 250 }, "loads": { "spin": { "commands": [ { "program": "yes" } ] } } }""", "defaults.json");
        var p = PlanLoader.Load(WithSuite("""{ "name": "a", "backend": "valirq", "count": 1, "cpus": [0], "rateHz": 100, "load": "spin" }"""), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.That((s.Priority, s.RateHz, s.Load.Commands.Single().Program), Is.EqualTo((70, 100, "yes")));
    }

    [Test]
    public void A_mistake_in_the_defaults_file_is_blamed_on_the_defaults_file()
    {
        Write("""{ "suiteDefaults": { "prio": 70 } }""", "defaults.json");
        var e = Errors(Write(Minimal)).Single();
        Assert.That(e.Source, Does.EndWith("defaults.json"));
        Assert.That(e.KeyPath, Is.EqualTo("suiteDefaults:prio"));
    }

    [Test]
    public void Set_overrides_win_and_their_mistakes_are_blamed_on_set()
    {
        var path = Write(Minimal);
        Assert.That(PlanLoader.Load(path, ["suites:0:count=7"], cpuCount: 2).Suites[0].Count, Is.EqualTo(7));
        var e = Errors(path, "suites:0:count=lots").Single();
        Assert.That((e.Source, e.KeyPath), Is.EqualTo(("--set", "suites:0:count")));
        Assert.That(Errors(path, "nonsense").Single().Message, Does.Contain("KEY=VALUE"));
    }

    [Test]
    public void Every_mistake_is_reported_not_just_the_first()
    {
        var errors = Errors(WithSuite("""{ "name": "a", "backend": "valirq", "mode": "x", "count": -1, "cpus": [9], "priority": 0 }"""));
        Assert.That(errors, Has.Count.EqualTo(4));
        Assert.That(new PlanException(errors).Message.Split('\n'), Has.Length.EqualTo(5), "one line per error and a count");
    }
}
