using System.Text.Json.Nodes;
using NUnit.Framework;
using Validate.Plans;

namespace Validate.UnitTests.Plans;

/// <summary>
/// The keys every suite kind shares (rateHz, cpus, priority, timeoutMs, load, loadSettleS, limits) are
/// checked once, the same way for a latency suite and a fault suite: same defaults from suiteDefaults, same
/// key paths, same messages where the kinds take the same range.
/// </summary>
public class SharedSuiteKeysTests
{
    private string _dir = "";

    private const string Plan = """
        {
          "schema": 1,
          "name": "shared keys",
          "card": { "name": "edu", "vendor": "0x1234", "device": "0x11e8" },
          "registers": { "irqStatus": { "bar": 0, "offset": "0x24" }, "irqRaise": { "bar": 0, "offset": "0x60" }, "irqAck": { "bar": 0, "offset": "0x64" } },
          "irqProgram": { "check": { "op": "read-ne", "register": "irqStatus" }, "ack": [ { "op": "write-status", "register": "irqAck" } ] },
          "stimulus": { "register": "irqRaise", "value": 1 },
          "drivers": { "mine": { "program": "/opt/lab/driver" } },
          "loads": { "spin": { "commands": [ { "program": "yes" } ] }, "flood": { "commands": [ { "kind": "irq-flood" } ] } },
          "suiteDefaults": DEFAULTS,
          "suites": [ SUITES ]
        }
        """;

    /// <summary>A suite of each kind that loads without error on a 2-CPU machine; tests add or replace keys.</summary>
    private static JsonObject Suite(string kind) => kind switch
    {
        "latency" => new JsonObject { ["name"] = "a", ["backend"] = "valirq", ["count"] = 1, ["cpus"] = JsonNode.Parse("[ 0 ]") },
        "fault" => new JsonObject { ["name"] = "a", ["kind"] = "fault", ["fault"] = "hang", ["driver"] = "mine", ["cpus"] = JsonNode.Parse("[ 0 ]") },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static JsonObject Suite(string kind, string key, string json)
    {
        var s = Suite(kind);
        s[key] = JsonNode.Parse(json);
        return s;
    }

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("validate-shared-keys-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private string Write(string defaults, params JsonObject[] suites)
    {
        var path = Path.Combine(_dir, "plan.json");
        File.WriteAllText(path, Plan.Replace("DEFAULTS", defaults, StringComparison.Ordinal)
            .Replace("SUITES", string.Join(", ", suites.Select(s => s.ToJsonString())), StringComparison.Ordinal));
        return path;
    }

    private static IReadOnlyList<PlanError> Errors(string path) =>
        Assert.Throws<PlanException>(() => PlanLoader.Load(path, [], cpuCount: 2))!.Errors;

    [TestCase("latency")]
    [TestCase("fault")]
    public void A_suite_of_either_kind_takes_its_load_from_suiteDefaults(string kind)
    {
        var p = PlanLoader.Load(Write("""{ "load": "spin", "loadSettleS": 2.5 }""", Suite(kind)), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.That((s.IsFault, s.Load.Name, s.Load.Commands.Single().Program, s.LoadSettleS), Is.EqualTo((kind == "fault", "spin", "yes", 2.5)));
    }

    [TestCase("latency")]
    [TestCase("fault")]
    public void A_suites_own_load_wins_over_suiteDefaults(string kind)
    {
        var p = PlanLoader.Load(Write("""{ "load": "spin" }""", Suite(kind, "load", "\"idle\"")), cpuCount: 2);
        Assert.That(p.Suites.Single().Load, Is.SameAs(LoadProfile.Idle));
    }

    [TestCase("latency", "601")]
    [TestCase("fault", "601")]
    [TestCase("fault", "-0.5")]
    public void LoadSettleS_out_of_range_is_one_line_naming_file_key_path_and_the_fix(string kind, string settle)
    {
        var path = Write("{}", Suite(kind, "loadSettleS", settle));
        var e = Errors(path);
        Assert.That(e, Has.Count.EqualTo(1), string.Join("\n", e));
        Assert.That(e[0].ToString(), Is.EqualTo($"{path}: suites:0:loadSettleS: {settle}: give 0 to 600 seconds"));
    }

    [Test]
    public void IrqPriority_is_a_latency_suites_from_its_own_key_or_suiteDefaults_and_left_unset_otherwise()
    {
        var timer = new JsonObject { ["name"] = "t", ["backend"] = "timer", ["count"] = 1, ["rateHz"] = 1000, ["cpus"] = JsonNode.Parse("[ 0 ]") };
        var own = PlanLoader.Load(Write("{}", Suite("latency", "irqPriority", "90")), cpuCount: 2).Suites.Single();
        Assert.That(own.IrqPriority, Is.EqualTo(90));
        Assert.That(PlanLoader.Load(Write("{}", Suite("latency")), cpuCount: 2).Suites.Single().IrqPriority, Is.Null, "unset: the IRQ threads stay as found");
        // A default for every suite leaves the timer suites (no card, no IRQ thread) alone, and fault suites too.
        var p = PlanLoader.Load(Write("""{ "irqPriority": 85 }""", Suite("latency"), timer), cpuCount: 2);
        Assert.That(p.Suites.Select(s => s.IrqPriority), Is.EqualTo(new int?[] { 85, null }));
    }

    [TestCase("latency", "irqPriority", "0", "suites:0:irqPriority", "0 is not a SCHED_FIFO priority; use 1 to 99")]
    [TestCase("latency", "irqPriority", "100", "suites:0:irqPriority", "100 is not a SCHED_FIFO priority; use 1 to 99")]
    [TestCase("fault", "irqPriority", "90", "suites:0:irqPriority", "fault suites restart the driver and its IRQ thread with it; set irqPriority on a latency suite")]
    [TestCase("timer", "irqPriority", "90", "suites:0:irqPriority", "the timer backend has no card and no IRQ thread; remove irqPriority from this suite")]
    public void A_bad_irqPriority_is_one_line_naming_the_key_and_the_fix(string kind, string key, string json, string keyPath, string says)
    {
        var suite = kind == "timer"
            ? new JsonObject { ["name"] = "t", ["backend"] = "timer", ["count"] = 1, ["rateHz"] = 1000, ["cpus"] = JsonNode.Parse("[ 0 ]"), [key] = JsonNode.Parse(json) }
            : Suite(kind, key, json);
        var path = Write("{}", suite);
        var e = Errors(path);
        Assert.That(e, Has.Count.EqualTo(1), string.Join("\n", e));
        Assert.That(e[0].ToString(), Is.EqualTo($"{path}: {keyPath}: {says}"));
    }

    [Test]
    public void An_unknown_load_is_the_same_error_for_a_fault_suite_as_for_a_latency_suite()
    {
        var latency = Errors(Write("{}", Suite("latency", "load", "\"nuclear\""))).Single();
        var fault = Errors(Write("{}", Suite("fault", "load", "\"nuclear\""))).Single();
        Assert.That(fault, Is.EqualTo(latency));
        Assert.That(fault.KeyPath, Is.EqualTo("suites:0:load"));
        Assert.That(fault.Message, Is.EqualTo("'nuclear' is not a load profile; use one of: flood, idle, spin (or define it under \"loads\")"));
    }

    [Test]
    public void An_unknown_load_in_suiteDefaults_is_refused_for_a_fault_suite_too()
    {
        var e = Errors(Write("""{ "load": "nuclear" }""", Suite("fault"))).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("suites:0:load", "'nuclear' is not a load profile; use one of: flood, idle, spin (or define it under \"loads\")")));
    }

    /// <summary>A mistake in a shared key: the key, its bad value, and what the one error says for either kind.</summary>
    private static readonly (string Key, string Json, string Path, string Says)[] SharedMistakes =
    [
        ("cpus", "[ 7 ]", "suites:0:cpus", "^CPU 7 does not exist on this machine \\(it has 0 to 1\\)$"),
        ("cpus", "[ -1 ]", "suites:0:cpus", "^CPU -1 does not exist on this machine"),
        ("cpus", "[ 0, 1 ]", "suites:0:cpus", "on one CPU: give one$"),
        ("priority", "0", "suites:0:priority", "^0 is not a SCHED_FIFO priority.*; use [12] to 99$"),
        ("priority", "120", "suites:0:priority", "^120 is not a SCHED_FIFO priority.*; use [12] to 99$"),
        ("rateHz", "-1", "suites:0:rateHz", "^-1: use [01].* up to [0-9]+ per second"),
        ("rateHz", "2000000", "suites:0:rateHz", "^2000000: use [01].* up to [0-9]+ per second"),
        ("timeoutMs", "0", "suites:0:timeoutMs", "^0: give 1 to 60000 ms$"),
        ("loadSettleS", "601", "suites:0:loadSettleS", "^601: give 0 to 600 seconds$"),
        ("load", "\"nuclear\"", "suites:0:load", "^'nuclear' is not a load profile; use one of: flood, idle, spin \\(or define it under \"loads\"\\)$"),
        ("limits", """{ "marginal": 1.5 }""", "suites:0:limits:marginal", "^1.5: give a fraction"),
        ("limits", """{ "maxLost": -1 }""", "suites:0:limits:maxLost", "^-1: give 0 or more$"),
        ("limits", """{ "stages": { "total": { "p99": "fast" } } }""", "suites:0:limits:stages:total:p99", "^'fast' is not a duration"),
        ("limits", """{ "stages": { "total": { "p42": "1ms" } } }""", "suites:0:limits:stages:total:p42", "^not a statistic"),
        ("name", "\"A B\"", "suites:0:name", "^'A B': give a name of lower-case letters"),
    ];

    private static IEnumerable<TestCaseData> SharedMistakeOfEachKind() =>
        from m in SharedMistakes
        from kind in new[] { "latency", "fault" }
        select new TestCaseData(kind, m.Key, m.Json, m.Path, m.Says).SetArgDisplayNames(kind, m.Key, m.Json);

    [TestCaseSource(nameof(SharedMistakeOfEachKind))]
    public void A_shared_key_is_checked_the_same_for_every_kind(string kind, string key, string json, string keyPath, string says)
    {
        var path = Write("{}", Suite(kind, key, json));
        var e = Errors(path);
        Assert.That(e, Has.Count.EqualTo(1), string.Join("\n", e));
        Assert.That((e[0].Source, e[0].KeyPath), Is.EqualTo((path, keyPath)));
        Assert.That(e[0].Message, Does.Match(says));
        Assert.That(e[0].ToString(), Does.Not.Contain('\n'));
    }

    /// <summary>Where the kinds take the same range, the error is word for word the same.</summary>
    [TestCase("cpus", "[ 7 ]")]
    [TestCase("timeoutMs", "70000")]
    [TestCase("loadSettleS", "-1")]
    [TestCase("limits", """{ "marginal": -0.1 }""")]
    public void Where_the_kinds_share_a_range_the_error_is_word_for_word_the_same(string key, string json)
    {
        var latency = Errors(Write("{}", Suite("latency", key, json))).Single();
        var fault = Errors(Write("{}", Suite("fault", key, json))).Single();
        Assert.That(fault, Is.EqualTo(latency));
    }

    /// <summary>The ranges a kind narrows: a fault suite's driver runs one below the stimulus, and its stimulus needs a rate.</summary>
    [TestCase("priority", "1", "1 is not a SCHED_FIFO priority for a fault suite (its driver runs one below the stimulus); use 2 to 99")]
    [TestCase("rateHz", "0", "0: use 1 up to 100000 per second (the stimulus of a fault suite needs a rate)")]
    [TestCase("rateHz", "200000", "200000: use 1 up to 100000 per second (the stimulus of a fault suite needs a rate)")]
    public void A_fault_suite_narrows_a_shared_range_that_a_latency_suite_accepts(string key, string json, string faultSays)
    {
        Assert.That(PlanLoader.Load(Write("{}", Suite("latency", key, json)), cpuCount: 2).Suites, Has.Count.EqualTo(1));
        var e = Errors(Write("{}", Suite("fault", key, json))).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(($"suites:0:{key}", faultSays)));
    }

    /// <summary>The neighbour and an irq-flood load would both take the other card on the line; now that
    /// suiteDefaults.load reaches fault suites, the plan check says so, not the run.</summary>
    [TestCase("""{ "load": "flood" }""", null)]
    [TestCase("{}", "flood")]
    public void A_fault_suite_with_a_neighbour_refuses_an_irq_flood_load(string defaults, string? load)
    {
        var alone = Suite("fault", "mode", "\"intx-pci23\"");
        if (load is not null) alone["load"] = load;
        Assert.That(PlanLoader.Load(Write(defaults, alone), cpuCount: 2).Suites.Single().Load.Name, Is.EqualTo("flood"), "without a neighbour the flood runs");
        var shared = alone.DeepClone().AsObject();
        shared["neighbour"] = true;
        var e = Errors(Write(defaults, shared)).Single();
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("suites:0:load", "'flood' floods the other card, which the neighbour drives through uio_pci_generic: give this suite a load without irq-flood, or no neighbour")));
    }
}
