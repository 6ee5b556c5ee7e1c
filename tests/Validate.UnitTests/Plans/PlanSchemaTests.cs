using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using NUnit.Framework;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Plans;

/// <summary>
/// The JSON Schema of plans (testplans/plan.schema.json, made by <see cref="PlanSchema"/>) checked by a real
/// validator (JsonSchema.Net): it is valid draft 2020-12, the committed file is the one the plan types make,
/// it names every key of every plan type, it accepts every shipped plan, and every class of mistake it can
/// express is refused by it and by <see cref="PlanLoader"/> alike.
///
/// Not tested against the schema, because a schema of one file cannot express them (`validate run --check`
/// alone checks them): keys a merged plan must have (schema, name, card, suites: defaults.json has none of
/// them); a name that refers to something elsewhere (a step's, the stimulus' or a health check's register,
/// a suite's load or driver, neighbourCard's file); what depends on another key, which may come from
/// suiteDefaults or another layer (the mode valid for the backend, the stages of the backend in limits, a
/// kind's narrower ranges: a fault suite's rateHz 1 to 100000 and priority from 2, one CPU; keys only fault
/// suites take; vectors only with msix; neighbour only on intx-pci23; reload and revoke not through vfio);
/// relations between values (an offset aligned to its width, expect within mask, vectorStatus within the
/// check's mask, tag bits not shifted out, mask and unmask given together, readToClear against the ack
/// steps, unique suite names, count or durationS given); the machine (a CPU that exists). The other way
/// round, the schema refuses forms the loader reads and plans do not use (keys in another case, numbers and
/// booleans as strings, "#ff"): those are not mistakes the loader refuses, so they are not tested here.
/// </summary>
public class PlanSchemaTests
{
    private const string WriteVariable = "VALIDATE_WRITE_SCHEMA";

    private static string CommittedPath => Path.Combine(Cli.Layout.Root, PlanSchema.RelativePath);

    private static string PlansRoot => Path.Combine(Cli.Layout.Root, "testplans");

    /// <summary>Every shipped plan file, defaults.json included, relative to testplans/.</summary>
    private static IEnumerable<string> ShippedFiles() =>
        Directory.EnumerateFiles(PlansRoot, "*.json", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != PlanSchema.FileName)
            .Select(f => Path.GetRelativePath(PlansRoot, f)).Order(StringComparer.Ordinal);

    // The committed file, which editors read (the first test keeps it the one the types make). Built once:
    // building registers the schema's $id with the library, and an $id is registered once.
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(CommittedPath)));

    /// <summary>Why an instance is invalid: (instance location, what failed) of each failing node under failing ones (a failed branch of a passing anyOf is no failure).</summary>
    private static List<(string At, string Why)> Failures(JsonSchema schema, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var results = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        var failures = new List<(string At, string Why)>();
        void Walk(EvaluationResults r)
        {
            if (r.IsValid) return;
            if (r.Errors is { } errors) failures.AddRange(errors.Values.Select(why => (r.InstanceLocation.ToString(), why)));
            foreach (var d in r.Details ?? []) Walk(d);
        }
        Walk(results);
        Assert.That(failures.Count > 0, Is.EqualTo(!results.IsValid), "an invalid result names what failed");
        return failures;
    }

    [Test]
    public void The_committed_schema_is_the_one_the_plan_types_make()
    {
        var generated = PlanSchema.Text();
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(CommittedPath, generated);
            Assert.Pass($"wrote {CommittedPath}");
        }
        var committed = File.Exists(CommittedPath) ? File.ReadAllText(CommittedPath) : "";
        Assert.That(committed, Is.EqualTo(generated),
            $"{PlanSchema.RelativePath} is not what the plan types (harness/Validate.Core/Plans/PlanDocument.cs, PlanSchema.cs) make; regenerate it: " +
            $"{WriteVariable}=1 artifacts/bin/Validate.UnitTests/release/Validate.UnitTests --filter 'Name={nameof(The_committed_schema_is_the_one_the_plan_types_make)}' (after a build), then commit it");
    }

    [Test]
    public void The_schema_is_valid_draft_2020_12()
    {
        var text = File.ReadAllText(CommittedPath);
        var node = JsonNode.Parse(text)!;
        Assert.That((string?)node["$schema"], Is.EqualTo("https://json-schema.org/draft/2020-12/schema"));
        Assert.That((string?)node["$id"], Is.Not.Empty);
        Assert.That((string?)node["title"], Is.Not.Empty);
        Assert.That(Failures(MetaSchemas.Draft202012, text), Is.Empty, "evaluated against the draft 2020-12 meta-schema");
        Assert.That(Schema.Value.Root, Is.Not.Null, "and the library builds it");
    }

    private static string JsonName(string property) => char.ToLowerInvariant(property[0]) + property[1..];

    /// <summary>Resolves a local "$ref" ("#/$defs/x") against the schema's root.</summary>
    private static JsonObject Resolve(JsonObject root, JsonObject s) =>
        s["$ref"] is { } r ? (JsonObject)root["$defs"]![((string)r!)["#/$defs/".Length..]]! : s;

    [Test]
    public void Every_key_of_every_plan_type_is_in_the_schema_with_a_description_and_no_other()
    {
        var root = JsonNode.Parse(PlanSchema.Text())!.AsObject();
        var seen = new HashSet<Type>();
        var checkedKeys = 0;
        void Walk(Type type, JsonObject schema, string where)
        {
            if (!seen.Add(type)) return;
            Assert.That((bool?)schema["additionalProperties"], Is.False, $"{where}: unknown keys refused, as PlanLoader refuses them");
            var props = schema["properties"]!.AsObject();
            var keys = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
            var expected = keys.Select(p => JsonName(p.Name)).ToList();
            if (type == typeof(PlanDocument)) expected.Insert(0, PlanLoader.SchemaReferenceKey);
            Assert.That(props.Select(kv => kv.Key), Is.EquivalentTo(expected), $"{where} ({type.Name}): the schema's keys are the type's properties");
            foreach (var p in keys)
            {
                var key = JsonName(p.Name);
                var s = props[key]!.AsObject();
                Assert.That((string?)s["description"], Is.Not.Null.And.Not.Empty, $"{where}.{key}: a description");
                checkedKeys++;
                // Into the plan classes the key holds: directly, as list items or as dictionary values.
                var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
                var inner = s;
                while (t.IsGenericType)
                {
                    var list = t.GetGenericTypeDefinition() == typeof(List<>);
                    inner = inner[list ? "items" : "additionalProperties"]!.AsObject();
                    t = t.GetGenericArguments()[^1];
                }
                if (t.IsClass && t != typeof(string)) Walk(t, Resolve(root, inner), $"{where}.{key}");
            }
        }
        Walk(typeof(PlanDocument), root, "plan");
        Assert.That(seen, Has.Count.GreaterThanOrEqualTo(12), "every plan class reached");
        Assert.That(checkedKeys, Is.GreaterThan(60));
    }

    [TestCaseSource(nameof(ShippedFiles))]
    public void The_schema_accepts_the_shipped_plan(string file)
    {
        var failures = Failures(Schema.Value, File.ReadAllText(Path.Combine(PlansRoot, file)));
        Assert.That(failures.Select(f => $"{f.At}: {f.Why}"), Is.Empty);
    }

    [TestCaseSource(nameof(ShippedFiles))]
    public void The_shipped_plan_names_the_schema_in_its_first_key(string file)
    {
        var plan = JsonNode.Parse(File.ReadAllText(Path.Combine(PlansRoot, file)))!.AsObject();
        var (key, value) = plan.First();
        Assert.That(key, Is.EqualTo(PlanLoader.SchemaReferenceKey));
        var target = Path.GetFullPath(Path.Combine(PlansRoot, Path.GetDirectoryName(file)!, (string)value!));
        Assert.That(target, Is.EqualTo(CommittedPath), "relative to the plan's folder");
    }

    /// <summary>A mistake made in testplans/qemu/edu.json: keys set (a JSON pointer and JSON text each), and the key path at which both must refuse it.</summary>
    public sealed record Mistake(string What, string At, params (string Pointer, string Json)[] Sets);

    private static readonly Mistake[] Mistakes =
    [
        // unknown keys
        new("unknown key at the top", "/bogus", ("/bogus", "1")),
        new("unknown key in a suite", "/suites/0/lod", ("/suites/0/lod", "\"cpu\"")),
        new("unknown key in suiteDefaults", "/suiteDefaults/lod", ("/suiteDefaults/lod", "\"cpu\"")),
        new("unknown key in a register", "/registers/irqStatus/size", ("/registers/irqStatus/size", "4")),
        new("unknown key in limits", "/suites/7/limits/maxLate", ("/suites/7/limits/maxLate", "1")),
        new("unknown key in a step", "/irqProgram/ack/0/reg", ("/irqProgram/ack/0/reg", "\"irqAck\"")),
        new("unknown key in the card", "/card/subsystem", ("/card/subsystem", "\"0x1\"")),
        new("unknown key in realtime", "/realtime/nice", ("/realtime/nice", "1")),
        new("unknown key in a load command", "/loads/mine/commands/0/nice", ("/loads/mine", """{ "commands": [ { "program": "true", "nice": 1 } ] }""")),
        new("unknown key in a driver", "/drivers/mine/env", ("/drivers/mine", """{ "program": "x", "env": "A=1" }""")),
        new("unknown key in a health check", "/health/0/read", ("/health/0/read", "true")),
        // wrong types
        new("a word for a count", "/suites/0/count", ("/suites/0/count", "\"many\"")),
        new("a word for a flag", "/realtime/lockMemory", ("/realtime/lockMemory", "\"yes\"")),
        new("a flag for a BAR", "/registers/irqStatus/bar", ("/registers/irqStatus/bar", "true")),
        new("a word for seconds", "/suites/0/durationS", ("/suites/0/durationS", "\"long\"")),
        new("an object for the suite list", "/suites", ("/suites", """{ "a": 1 }""")),
        new("a string for the registers", "/registers", ("/registers", "\"x\"")),
        new("a number for a CPU list", "/suites/0/cpus", ("/suites/0/cpus", "1")),
        // values not in a closed vocabulary
        new("op of a check not a check op", "/irqProgram/check/op", ("/irqProgram/check/op", "\"read-gt\"")),
        new("op of an ack step a check op", "/irqProgram/ack/0/op", ("/irqProgram/ack/0/op", "\"read-ne\"")),
        new("op write-status in init", "/init/0/op", ("/init", """[ { "op": "write-status", "register": "irqAck" } ]""")),
        new("backend", "/suites/0/backend", ("/suites/0/backend", "\"dpdk\"")),
        new("mode", "/suites/0/mode", ("/suites/0/mode", "\"msi-x\"")),
        new("fault", "/suites/8/fault", ("/suites/8/fault", "\"kill-9\"")),
        new("suite kind", "/suites/0/kind", ("/suites/0/kind", "\"soak\"")),
        new("release policy", "/release", ("/release", "\"reboot\"")),
        new("stimulus tag", "/stimulus/tag", ("/stimulus/tag", "\"sequence\"")),
        new("register space", "/registers/irqStatus/space", ("/registers/irqStatus/space", "\"pio\"")),
        new("onFailure", "/realtime/onFailure", ("/realtime/onFailure", "\"ignore\"")),
        new("statistic in limits", "/suites/7/limits/stages/total/p95", ("/suites/7/limits/stages/total/p95", "\"1ms\"")),
        new("stage in limits no backend has", "/suites/7/limits/stages/hardirq", ("/suites/7/limits/stages/hardirq", """{ "max": "1ms" }""")),
        new("load command kind", "/loads/mine/commands/0/kind", ("/loads/mine", """{ "commands": [ { "kind": "fork-bomb" } ] }""")),
        new("plan format version", "/schema", ("/schema", "2")),
        // numbers out of range, lists too long or short
        new("bar 7", "/registers/irqStatus/bar", ("/registers/irqStatus/bar", "7")),
        new("width 3", "/registers/irqStatus/width", ("/registers/irqStatus/width", "3")),
        new("suite priority 0", "/suites/0/priority", ("/suites/0/priority", "0")),
        new("realtime priority 100", "/realtime/priority", ("/realtime/priority", "100")),
        new("MSI-X vector 40", "/suites/0/vectors", ("/suites/0/mode", "\"msix\""), ("/suites/0/vectors", "[ 40 ]")),
        new("an MSI-X vector twice", "/suites/0/vectors", ("/suites/0/mode", "\"msix\""), ("/suites/0/vectors", "[ 0, 0 ]")),
        new("loadSettleS 601", "/suites/0/loadSettleS", ("/suites/0/loadSettleS", "601")),
        new("timeoutMs 0", "/suites/0/timeoutMs", ("/suites/0/timeoutMs", "0")),
        new("count 0", "/suites/0/count", ("/suites/0/count", "0")),
        new("durationS 0", "/suites/0/durationS", ("/suites/0/durationS", "0")),
        new("rawRing not a power of two", "/suites/0/rawRing", ("/suites/0/rawRing", "1000")),
        new("repetitions 0", "/suites/8/repetitions", ("/suites/8/repetitions", "0")),
        new("hangMs 0", "/suites/13/hangMs", ("/suites/13/hangMs", "0")),
        new("recoveryTimeoutMs 99", "/suites/8/recoveryTimeoutMs", ("/suites/8/recoveryTimeoutMs", "99")),
        new("marginal 1", "/suites/7/limits/marginal", ("/suites/7/limits/marginal", "1")),
        new("maxLost -1", "/suites/7/limits/maxLost", ("/suites/7/limits/maxLost", "-1")),
        new("statusShift 32", "/stimulus/statusShift", ("/stimulus/statusShift", "32")),
        new("withinMs 60001", "/health/2/withinMs", ("/health/2/withinMs", "60001")),
        new("a 17-bit vendor id", "/card/vendor", ("/card/vendor", "\"0x10000\"")),
        new("a 9-bit revision", "/card/revision", ("/card/revision", "256")),
        new("nine ack steps", "/irqProgram/ack", ("/irqProgram/ack", $"[ {string.Join(", ", Enumerable.Repeat("""{ "op": "write-status", "register": "irqAck" }""", 9))} ]")),
        new("33 vectorStatus entries", "/irqProgram/vectorStatus", ("/irqProgram/vectorStatus", $"[ {string.Join(", ", Enumerable.Repeat("1", 33))} ]")),
        // strings of the wrong form
        new("a suite name with capitals and a space", "/suites/0/name", ("/suites/0/name", "\"Valirq MSI\"")),
        new("a PCI address without its domain", "/card/address", ("/card/address", "\"00:04.0\"")),
        new("an empty plan name", "/name", ("/name", "\"\"")),
        // bad durations
        new("a duration in words", "/suites/7/limits/stages/total/max", ("/suites/7/limits/stages/total/max", "\"fast\"")),
        new("a duration in usec", "/suites/7/limits/stages/total/max", ("/suites/7/limits/stages/total/max", "\"150usec\"")),
        new("a zero duration", "/suites/7/limits/stages/total/max", ("/suites/7/limits/stages/total/max", "\"0ms\"")),
        new("a negative duration", "/suites/7/limits/stages/total/max", ("/suites/7/limits/stages/total/max", "\"-1ms\"")),
        // null, {} and [] where a value is expected
        new("null for a count", "/suites/0/count", ("/suites/0/count", "null")),
        new("{} for a count", "/suites/0/count", ("/suites/0/count", "{}")),
        new("[] for a count", "/suites/0/count", ("/suites/0/count", "[]")),
        new("null for the card", "/card", ("/card", "null")),
        new("null for the plan's name", "/name", ("/name", "null")),
        new("[] for an offset", "/registers/irqStatus/offset", ("/registers/irqStatus/offset", "[]")),
        new("{} for the stimulus value", "/stimulus/value", ("/stimulus/value", "{}")),
        new("[] for an optional CPU list", "/suites/0/cpus", ("/suites/0/cpus", "[]")),
        new("null for a step", "/irqProgram/ack/0", ("/irqProgram/ack/0", "null")),
        new("a number for $schema", "/$schema", ("/$schema", "1")),
        // not hex where a number is expected
        new("an offset 0xZZ", "/registers/irqStatus/offset", ("/registers/irqStatus/offset", "\"0xZZ\"")),
        new("a vendor in words", "/card/vendor", ("/card/vendor", "\"vendor\"")),
        new("a stimulus value in words", "/stimulus/value", ("/stimulus/value", "\"one\"")),
        new("a mask of 33 bits", "/irqProgram/check/mask", ("/irqProgram/check/mask", "\"0x1ffffffff\"")),
        // a suite's trace
        new("a trace threshold on a stage no one has", "/suites/0/trace/thresholds/hardirq", ("/suites/0/trace/thresholds/hardirq", "\"1ms\"")),
        new("a trace threshold in words", "/suites/0/trace/thresholds/total", ("/suites/0/trace/thresholds/total", "\"slow\"")),
        new("keep 0 worst events", "/suites/0/trace/keep", ("/suites/0/trace/keep", "0")),
        new("a trace ring of 100 KiB", "/suites/0/trace/bufferKb", ("/suites/0/trace/bufferKb", "100")),
        new("a word for the marker", "/suites/0/trace/marker", ("/suites/0/trace/marker", "\"on\"")),
    ];

    private static IEnumerable<TestCaseData> MistakeCases() => Mistakes.Select(m => new TestCaseData(m).SetArgDisplayNames(m.What));

    private string _dir = "";

    [SetUp]
    public void CopyPlans()
    {
        _dir = Directory.CreateTempSubdirectory("validate-schema-").FullName;
        foreach (var f in ShippedFiles())
        {
            Directory.CreateDirectory(Path.Combine(_dir, Path.GetDirectoryName(f)!));
            File.Copy(Path.Combine(PlansRoot, f), Path.Combine(_dir, f));
        }
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    /// <summary>Sets <paramref name="pointer"/> (/a/b/0/c) in <paramref name="root"/>, making the objects on the way that are missing.</summary>
    private static void Set(JsonNode root, string pointer, JsonNode? value)
    {
        var keys = pointer.Split('/')[1..];
        var node = root;
        foreach (var k in keys[..^1])
            node = node is JsonArray a ? a[int.Parse(k, System.Globalization.CultureInfo.InvariantCulture)]! : node[k] ??= new JsonObject();
        if (node is JsonArray arr) arr[int.Parse(keys[^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
        else node[keys[^1]] = value;
    }

    [TestCaseSource(nameof(MistakeCases))]
    public void A_mistake_the_schema_can_express_is_refused_by_the_schema_and_by_the_loader(Mistake mistake)
    {
        var plan = Path.Combine(_dir, "qemu", "edu.json");
        var root = JsonNode.Parse(File.ReadAllText(plan))!;
        foreach (var (pointer, json) in mistake.Sets) Set(root, pointer, JsonNode.Parse(json));
        var text = root.ToJsonString();
        File.WriteAllText(plan, text);

        // The schema: invalid, failing at the key, inside it (a list's item) or at the object that holds it
        // (an unknown key), and nowhere else.
        var failures = Failures(Schema.Value, text);
        var parent = mistake.At[..mistake.At.LastIndexOf('/')];
        var why = string.Join("; ", failures.Select(f => $"{f.At}: {f.Why}"));
        Assert.That(failures, Is.Not.Empty, $"the schema accepts {mistake.What}");
        Assert.That(failures.Select(f => f.At), Has.All.Matches<string>(at => at == parent || at == mistake.At || at.StartsWith(mistake.At + "/", StringComparison.Ordinal)),
            $"the schema refuses it at {mistake.At}: {why}");

        // The loader: refused with an error at the same key.
        var keyPath = mistake.At.TrimStart('/').Replace('/', ':');
        var e = Assert.Throws<PlanException>(() => PlanLoader.Load(plan, cpuCount: 2))!;
        Assert.That(e.Errors.Select(x => x.KeyPath), Does.Contain(keyPath),
            $"the loader refuses it at {keyPath}: {e.Message}");
    }

    [Test]
    public void The_mistakes_cover_every_closed_vocabulary_of_the_validator()
    {
        // Each enum of the schema is exercised by a mistake above: a new vocabulary gets a mistake too.
        var enums = new List<string>();
        void Walk(JsonNode? n, string at)
        {
            if (n is JsonObject o)
                foreach (var (k, v) in o)
                {
                    if (k == "enum") enums.Add(at);
                    Walk(v, $"{at}/{k}");
                }
            else if (n is JsonArray a) foreach (var v in a) Walk(v, at);
        }
        Walk(JsonNode.Parse(PlanSchema.Text()), "");
        var keysWithEnums = enums.Select(e => e.Split('/').Where(s => s is not ("properties" or "items" or "additionalProperties" or "propertyNames" or "$defs")).Last())
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var mistaken = Mistakes.Select(m => m.At.Split('/')[^1]).ToHashSet();
        // Keys whose enum a mistake names by its value (a statistic, a stage) rather than by key.
        mistaken.UnionWith(["stages", "thresholds"]);
        Assert.That(keysWithEnums, Is.SubsetOf(mistaken));
    }
}
