using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using Validate.Reports;
using Validate.Results;

namespace Validate.UnitTests.Reports;

/// <summary>
/// A results file of any shape (every value in turn made null, {}, [], a string, a huge or a negative number;
/// the file cut short anywhere) is read, or refused in one line naming the file and where, with exit status 3;
/// what is read renders. Never an internal error.
/// </summary>
public class BrokenResultsCorpusTests
{
    private static IEnumerable<(string What, string Json)> Corpus()
    {
        var json = JsonSerializer.Serialize(ReportTests.Sample(), RunResults.Json);
        var root = JsonNode.Parse(json)!;
        var paths = new List<string>();
        void Walk(JsonNode? n, string at)
        {
            paths.Add(at);
            switch (n)
            {
                case JsonObject o: foreach (var kv in o) Walk(kv.Value, $"{at}.{kv.Key}"); break;
                case JsonArray a: for (int i = 0; i < Math.Min(a.Count, 2); i++) Walk(a[i], $"{at}[{i}]"); break;
            }
        }
        Walk(root, "$");
        JsonNode?[] replacements = [null, new JsonObject(), new JsonArray(), JsonValue.Create("x"), JsonValue.Create(1e300), JsonValue.Create(-1)];
        foreach (var path in paths.Skip(1))
        {
            foreach (var r in replacements)
            {
                var copy = JsonNode.Parse(json)!;
                Replace(copy, path, r?.DeepClone());
                yield return ($"{path} = {r?.ToJsonString() ?? "null"}", copy.ToJsonString());
            }
        }
        for (int cut = 0; cut < json.Length; cut += Math.Max(1, json.Length / 40)) yield return ($"cut at {cut}", json[..cut]);
        foreach (var whole in new[] { "null", "{}", "[]", "\"x\"", "5" }) yield return ($"the file is {whole}", whole);
    }

    private static void Replace(JsonNode root, string path, JsonNode? value)
    {
        // $.a.b[0].c: walk to the parent, then set the last step.
        var steps = System.Text.RegularExpressions.Regex.Matches(path, @"\.([^.\[]+)|\[(\d+)\]").Select(m => m.Groups[1].Success ? (object)m.Groups[1].Value : int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var node = root;
        foreach (var s in steps.SkipLast(1)) node = s is string k ? node[k]! : node[(int)s]!;
        if (steps[^1] is string key) node.AsObject()[key] = value;
        else node.AsArray()[(int)steps[^1]] = value;
    }

    [Test]
    public void Every_broken_results_file_is_read_or_refused_in_one_line_and_what_is_read_renders()
    {
        var dir = Directory.CreateTempSubdirectory("validate-broken-results-");
        try
        {
            int refused = 0, read = 0, rendered = 0;
            foreach (var (what, text) in Corpus())
            {
                var path = Path.Combine(dir.FullName, "results.json");
                File.WriteAllText(path, text);
                RunResults r;
                try
                {
                    r = RunResults.Read(path);
                }
                catch (ValidateException e)
                {
                    refused++;
                    Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError), what);
                    Assert.That(e.Message, Does.StartWith($"{path}: ").And.Not.Contain("\n").And.Not.Contain("Consider updating"), what);
                    continue;
                }
                read++;
                // Rendering draws plots: every 8th file that reads is rendered whole, which covers each kind of change.
                if (read % 8 != 1) continue;
                try
                {
                    ReportWriter.Write(path, Path.Combine(dir.FullName, "out"));
                    rendered++;
                }
                catch (ValidateException e)
                {
                    Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.InputError), $"{what}: {e.Message}");
                }
                catch (Exception e)
                {
                    Assert.Fail($"{what}: the report of a results file that was read threw {e.GetType().Name}: {e.Message}");
                }
            }
            TestContext.Out.WriteLine($"{refused + read} broken results files: {refused} refused in one line, {read} read, {rendered} of them rendered");
            Assert.That(refused, Is.GreaterThan(100), "the corpus holds mistakes");
            Assert.That(rendered, Is.GreaterThan(10), "and files that are still results");
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
