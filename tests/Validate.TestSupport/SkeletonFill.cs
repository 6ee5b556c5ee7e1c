using System.Text.Json;
using System.Text.Json.Nodes;

namespace Validate.TestSupport;

/// <summary>
/// What an engineer does with the skeleton of `validate new-plan`: fills its TODO values, here with the
/// register map and programs of a shipped plan for that kind of card, and puts it where a plan lives (a
/// folder under one holding testplans/defaults.json, which has the drivers and real-time set-up).
/// </summary>
public static class SkeletonFill
{
    /// <summary>The keys a skeleton leaves to the engineer: taken whole from the shipped plan ([] where it has none).</summary>
    public static readonly string[] EngineerKeys = ["registers", "irqProgram", "init", "disable", "quiesce", "stimulus", "health"];

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The skeleton with <see cref="EngineerKeys"/> replaced by the shipped plan's (health only where the skeleton has it: it has fault suites).</summary>
    public static string Fill(string skeletonJson, string shippedPlanPath)
    {
        var skeleton = JsonNode.Parse(skeletonJson, documentOptions: Lenient)!.AsObject();
        var shipped = JsonNode.Parse(File.ReadAllText(shippedPlanPath), documentOptions: Lenient)!.AsObject();
        foreach (var key in EngineerKeys)
        {
            if (key == "health" && !skeleton.ContainsKey(key)) continue;
            skeleton[key] = shipped[key]?.DeepClone() ?? new JsonArray();
        }
        return skeleton.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// A folder laid out as testplans/ is (DIR/defaults.json, a copy of the checkout's, and DIR/new/), for
    /// plans written outside the checkout; returns DIR/new. The caller deletes DIR.
    /// </summary>
    public static string PlanFolder(string dir)
    {
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(Cli.Layout.Root, "testplans", "defaults.json"), Path.Combine(dir, "defaults.json"), overwrite: true);
        return Directory.CreateDirectory(Path.Combine(dir, "new")).FullName;
    }
}
