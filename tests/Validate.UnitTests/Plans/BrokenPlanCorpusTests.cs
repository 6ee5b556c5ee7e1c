using System.Text.Json.Nodes;
using NUnit.Framework;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Plans;

/// <summary>
/// A corpus of broken plans generated from the shipped ones: every key and list item of each plan set to
/// null, {}, [], "x", 1e308, -1, "" or deleted, and the file truncated at many lengths. Whatever the shape,
/// the plan either loads or is refused by a <see cref="PlanException"/> (exit status 3) whose every mistake
/// is one line naming the file; no other exception escapes.
/// </summary>
public class BrokenPlanCorpusTests
{
    private static readonly string[] Shipped = ["qemu/edu.json", "intel/82574l.json", "intel/82540em.json", "generic/timer.json"];
    private static readonly (string Name, Func<JsonNode?> Value)[] Values =
    [
        ("null", () => null), ("{}", () => new JsonObject()), ("[]", () => new JsonArray()), ("\"x\"", () => JsonValue.Create("x")),
        ("1e308", () => JsonNode.Parse("1e308")), ("-1", () => JsonValue.Create(-1)), ("\"\"", () => JsonValue.Create("")),
    ];

    private string _dir = "";

    [SetUp]
    public void CopyPlans()
    {
        _dir = Directory.CreateTempSubdirectory("validate-corpus-").FullName;
        var src = Path.Combine(Cli.Layout.Root, "testplans");
        foreach (var f in Directory.EnumerateFiles(src, "*.json", SearchOption.AllDirectories))
        {
            var to = Path.Combine(_dir, Path.GetRelativePath(src, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
    }

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every (path, node) of a JSON tree, the path in the plan's key syntax (a:b:0:c).</summary>
    private static IEnumerable<string> Paths(JsonNode node, string path)
    {
        if (path.Length > 0) yield return path;
        var children = node switch
        {
            JsonObject o => o.Select(kv => (kv.Key, kv.Value)),
            JsonArray a => a.Select((v, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), v)),
            _ => [],
        };
        foreach (var (key, child) in children)
            if (child is not null)
                foreach (var p in Paths(child, path.Length == 0 ? key : $"{path}:{key}")) yield return p;
    }

    private static void Set(JsonNode root, string path, JsonNode? value, bool delete)
    {
        var keys = path.Split(':');
        var parent = root;
        foreach (var k in keys[..^1]) parent = parent is JsonArray a ? a[int.Parse(k, System.Globalization.CultureInfo.InvariantCulture)]! : parent[k]!;
        var last = keys[^1];
        if (parent is JsonArray arr)
        {
            var i = int.Parse(last, System.Globalization.CultureInfo.InvariantCulture);
            if (delete) arr.RemoveAt(i); else arr[i] = value;
        }
        else if (delete) ((JsonObject)parent).Remove(last);
        else parent[last] = value;
    }

    /// <summary>Loads one broken plan; returns its errors (none: it loaded). Fails the test on anything but a PlanException of the documented shape.</summary>
    private static IReadOnlyList<PlanError> Load(string plan, string what)
    {
        try
        {
            PlanLoader.Load(plan, cpuCount: 2);
            return [];
        }
        catch (PlanException e)
        {
            Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError), what);
            Assert.That(e.Errors, Is.Not.Empty, what);
            foreach (var err in e.Errors)
            {
                var line = err.ToString();
                Assert.That(line, Does.Not.Contain('\n'), $"{what}: an error of more than one line");
                Assert.That(err.Source, Is.Not.Empty, what);
                Assert.That(err.Message.Trim(), Is.Not.Empty, what);
            }
            var lines = e.Message.Split('\n');
            Assert.That(lines, Has.Length.EqualTo(e.Errors.Count == 1 ? 1 : e.Errors.Count + 1), $"{what}: one line per mistake (and the count)");
            return e.Errors;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} escaped: {e.Message}\n{e.StackTrace}");
            throw;
        }
    }

    [TestCaseSource(nameof(Shipped))]
    public void Every_key_of_a_shipped_plan_set_to_any_shape_or_deleted_loads_or_is_refused_one_line_per_mistake(string shipped)
    {
        var plan = Path.Combine(_dir, shipped);
        var original = File.ReadAllText(plan);
        var paths = Paths(JsonNode.Parse(original)!, "").ToList();
        int refused = 0, cases = 0;
        for (int p = 0; p < paths.Count; p++)
        {
            var path = paths[p];
            // null and deleted on every key; two of the other shapes per key, in turn (all of them, over the plans).
            var shapes = new[] { Values[0], Values[1 + p % 6], Values[1 + (p + 3) % 6] };
            foreach (var (name, value) in shapes.Select(v => (v.Name, (JsonNode?)v.Value())).Append(("deleted", null)))
            {
                var root = JsonNode.Parse(original)!;
                Set(root, path, value, delete: name == "deleted");
                File.WriteAllText(plan, root.ToJsonString());
                var what = $"{shipped} with {path} {(name == "deleted" ? "deleted" : $"set to {name}")}";
                var errors = Load(plan, what);
                cases++;
                if (errors.Count > 0) refused++;
                if (name == "null")
                {
                    // A null is exactly one mistake, at its own key.
                    Assert.That(errors.Select(e => e.KeyPath), Is.EqualTo(new[] { path }).Using((IEqualityComparer<string>)StringComparer.OrdinalIgnoreCase), what);
                    Assert.That(errors[0].Source, Is.EqualTo(plan), what);
                }
            }
        }
        File.WriteAllText(plan, original);
        TestContext.Out.WriteLine($"{shipped}: {cases} broken plans, {refused} refused");
        Assert.That(cases, Is.GreaterThan(100));
    }

    [TestCaseSource(nameof(Shipped))]
    public void A_shipped_plan_truncated_anywhere_is_one_line_naming_the_file(string shipped)
    {
        var plan = Path.Combine(_dir, shipped);
        var original = File.ReadAllText(plan);
        for (int length = 0; length < original.Length - 2; length += Math.Max(1, original.Length / 97))
        {
            File.WriteAllText(plan, original[..length]);
            var errors = Load(plan, $"{shipped} truncated to {length} characters");
            Assert.That(errors, Has.Count.EqualTo(1), $"{shipped} truncated to {length}");
            Assert.That(errors[0].Source, Is.EqualTo(plan));
        }
    }

    [TestCase("[]", "must be an object")]
    [TestCase("null", "must be an object")]
    [TestCase("42", "must be an object")]
    [TestCase("", "not valid JSON")]
    [TestCase("{ \"$schema\": 5, \"schema\": 1, \"name\": \"x\", \"suites\": [] }", "$schema")]
    public void A_plan_that_is_not_an_object_is_one_line(string json, string says)
    {
        var plan = Path.Combine(_dir, "odd.json");
        File.WriteAllText(plan, json);
        var errors = Load(plan, json);
        Assert.That(errors.Select(e => e.ToString()).ToList(), Has.Some.Contains(says));
    }

    [Test]
    public void A_directory_given_as_the_plan_is_one_line_saying_so()
    {
        var errors = Load(_dir, "a directory");
        Assert.That(errors.Single().Message, Does.Contain("is a directory"));
    }

    [TestCase("cpus")]
    [TestCase("vectors")]
    public void An_empty_optional_list_is_a_mistake_not_the_default(string key)
    {
        var plan = Path.Combine(_dir, "intel", "82574l.json");
        var root = JsonNode.Parse(File.ReadAllText(plan))!;
        var suites = root["suites"]!.AsArray();
        var i = suites.Select((s, n) => (s, n)).First(x => x.s![key] is not null || key == "cpus").n;
        suites[i]![key] = new JsonArray();
        File.WriteAllText(plan, root.ToJsonString());
        var errors = Load(plan, $"{key}: []");
        Assert.That(errors.Select(e => e.KeyPath), Is.EqualTo(new[] { $"suites:{i}:{key}" }));
        Assert.That(errors[0].Message, Does.Contain("empty list"));
    }
}
