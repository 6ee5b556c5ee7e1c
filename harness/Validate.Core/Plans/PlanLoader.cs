using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Validate.Plans;

/// <summary>
/// Reads a test plan through Microsoft.Extensions.Configuration, in layers, later ones winning:
/// the nearest <c>defaults.json</c> (the plan's folder, then its parent), the plan itself, environment
/// variables <c>VALIDATE_PLAN__key__sub=value</c>, and <c>--set key:sub=value</c> overrides. The merged tree
/// is checked against <see cref="PlanDocument"/> strictly: an unknown key or a value of the wrong type is
/// an error naming the file (the layer that set it) and the key path. Then <see cref="PlanValidator"/>.
/// </summary>
public static class PlanLoader
{
    public const string EnvironmentPrefix = "VALIDATE_PLAN__";
    public const string DefaultsFileName = "defaults.json";

    public static Plan Load(string planPath, IReadOnlyList<string>? overrides = null, int cpuCount = 0) => Load(planPath, overrides, cpuCount, neighbour: true);

    private static Plan Load(string planPath, IReadOnlyList<string>? overrides, int cpuCount, bool neighbour)
    {
        var (root, sourceOf, files) = Build(planPath, overrides ?? []);
        var errors = new List<PlanError>();
        // What the configuration tree cannot show: null, {} and [] (it drops them), read from each file's raw JSON.
        foreach (var (file, name) in files) CheckRaw(file, name, errors);
        // A TODO that a later layer (the environment, --set) replaced is no longer one.
        errors.RemoveAll(e => e.Message.StartsWith(TodoMessage, StringComparison.Ordinal) && !(root[e.KeyPath] is { } v && v.StartsWith(TodoMarker, StringComparison.Ordinal)));
        var rawPaths = errors.Select(e => e.KeyPath).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var treeErrors = new List<PlanError>();
        CheckTree(root, typeof(PlanDocument), "", treeErrors, sourceOf);
        errors.AddRange(treeErrors.Where(e => !rawPaths.Contains(e.KeyPath)));
        if (errors.Count > 0) throw new PlanException(errors);
        var doc = root.Get<PlanDocument>() ?? new PlanDocument();
        var plan = new PlanValidator(planPath, sourceOf, cpuCount > 0 ? cpuCount : Environment.ProcessorCount).Validate(doc) with
        {
            Overrides = [.. EnvironmentOverrides(), .. overrides ?? []],
        };
        if (doc.NeighbourCard is not { } nb || !neighbour) return plan;
        // The neighbour's card is described by its own plan; its own neighbourCard is not followed.
        var nbPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(planPath))!, nb));
        if (!File.Exists(nbPath))
            throw new PlanException([new PlanError(sourceOf("neighbourCard"), "neighbourCard", $"'{nb}': no such plan ({nbPath}); give the path of the other card's plan, relative to this one")]);
        var nbPlan = Load(nbPath, null, cpuCount, neighbour: false);
        if (nbPlan.Stimulus is null || nbPlan.Program is null)
            throw new PlanException([new PlanError(sourceOf("neighbourCard"), "neighbourCard", $"'{nb}' has no stimulus or irqProgram, which the neighbour's driver and stimulus need")]);
        return plan with { NeighbourCard = nbPlan };
    }

    /// <summary>The VALIDATE_PLAN__* variables of this process as KEY=VALUE (key path with ':'), sorted.</summary>
    private static IEnumerable<string> EnvironmentOverrides() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .Select(e => (Key: (string)e.Key, Value: e.Value as string ?? ""))
            .Where(e => e.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(e => $"{e.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)}={e.Value}")
            .Order(StringComparer.Ordinal);

    /// <summary>The defaults file that applies to a plan, or null.</summary>
    public static string? FindDefaults(string planPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(planPath));
        for (int up = 0; up < 2 && dir is not null; up++, dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, DefaultsFileName);
            if (File.Exists(candidate) && Path.GetFullPath(candidate) != Path.GetFullPath(planPath)) return candidate;
        }
        return null;
    }

    private static (IConfigurationRoot Root, Func<string, string> SourceOf, List<(string File, string Name)> Files) Build(string planPath, IReadOnlyList<string> overrides)
    {
        if (Directory.Exists(planPath))
            throw new PlanException([new PlanError(planPath, "", "is a directory; give the path of a plan file such as testplans/qemu/edu.json")]);
        if (!File.Exists(planPath))
            throw new PlanException([new PlanError(planPath, "", "no such file; give the path of a plan such as testplans/qemu/edu.json")]);
        var names = new List<string>();
        var files = new List<(string File, string Name)>();
        var builder = new ConfigurationBuilder();
        if (FindDefaults(planPath) is { } defaults)
        {
            builder.AddJsonFile(Path.GetFullPath(defaults), optional: false, reloadOnChange: false);
            names.Add(Relative(defaults));
            files.Add((defaults, Relative(defaults)));
        }
        files.Add((planPath, planPath));
        builder.AddJsonFile(Path.GetFullPath(planPath), optional: false, reloadOnChange: false);
        names.Add(planPath);
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        names.Add($"environment ({EnvironmentPrefix}*)");
        var args = new List<string>();
        foreach (var o in overrides)
        {
            var eq = o.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new PlanException([new PlanError("--set", o, "expected KEY=VALUE with a key path such as suites:0:count=100")]);
            args.Add($"--{o[..eq]}={o[(eq + 1)..]}");
        }
        builder.AddCommandLine([.. args]);
        names.Add("--set");

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (InvalidDataException e)
        {
            var file = names.FirstOrDefault(n => e.Message.Contains(Path.GetFileName(n), StringComparison.Ordinal)) ?? planPath;
            Exception? inner = e;
            while (inner is not null and not JsonException) inner = inner.InnerException;
            var why = inner is JsonException je ? JsonWhy(je) : e.InnerException?.Message ?? e.Message;
            throw new PlanException([new PlanError(file, "", $"not valid JSON: {why}")]);
        }
        catch (FormatException e)
        {
            throw new PlanException([new PlanError(planPath, "", $"not valid JSON: {e.Message}")]);
        }

        string SourceOf(string keyPath)
        {
            var providers = root.Providers.ToList();
            var leaves = root.GetSection(keyPath).AsEnumerable().Select(kv => kv.Key).Append(keyPath).ToList();
            for (int i = providers.Count - 1; i >= 0; i--)
            {
                if (leaves.Any(k => providers[i].TryGet(k, out _))) return names[i];
            }
            return planPath;
        }
        return (root, SourceOf, files);
    }

    private static string JsonWhy(JsonException e) =>
        e.LineNumber is { } line ? $"line {line + 1}, byte {e.BytePositionInLine + 1}: {e.Message.Split(" LineNumber", 2)[0].TrimEnd('.', ' ')}" : e.Message;

    private static string Relative(string path)
    {
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }

    /// <summary>
    /// How a plan skeleton (validate new-plan) marks a value the engineer must still give: a string starting
    /// with this, the rest saying what to put there, in place of the value whatever its type. A plan holding
    /// one is refused with that text at its key path, one line each.
    /// </summary>
    public const string TodoMarker = "TODO:";

    /// <summary>What a TODO value is refused with, before its hint.</summary>
    public const string TodoMessage = "still a TODO from validate new-plan: ";

    /// <summary>The hint of a TODO value (the text after the marker), or null when the value is no TODO.</summary>
    private static string? TodoHint(JsonElement v) =>
        v.ValueKind == JsonValueKind.String && v.GetString() is { } s && s.StartsWith(TodoMarker, StringComparison.Ordinal) ? s[TodoMarker.Length..].Trim() : null;

    /// <summary>The root key that names the JSON Schema of plans (testplans/plan.schema.json) for editors; the engine ignores it.</summary>
    public const string SchemaReferenceKey = "$schema";

    // ---- the raw JSON: what Microsoft.Extensions.Configuration drops or turns into nothing ----

    /// <summary>
    /// Reads one layer's JSON as written and checks the shapes the configuration tree loses: a null (read as
    /// "not given", or as a null that crashes later), an empty object or list where a value is expected (dropped),
    /// and an empty list where a list is optional ("cpus": [] read as "not given"). One error per key.
    /// </summary>
    private static void CheckRaw(string file, string name, List<PlanError> errors)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return; // the configuration provider already said where the JSON breaks
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new PlanError(name, "", $"the plan is {Kind(doc.RootElement)}; a plan is one JSON object {{ \"schema\": 1, \"name\": ..., \"suites\": [...] }}"));
                return;
            }
            if (doc.RootElement.TryGetProperty(SchemaReferenceKey, out var schemaRef) && schemaRef.ValueKind != JsonValueKind.String)
                errors.Add(new PlanError(name, SchemaReferenceKey, $"{Kind(schemaRef)}; give the schema's path as a string, e.g. \"../plan.schema.json\", or remove the key"));
            RawObject(doc.RootElement, typeof(PlanDocument), "", name, errors);
        }
    }

    private static void RawObject(JsonElement e, Type type, string path, string file, List<PlanError> errors)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (path.Length == 0 && p.Name == SchemaReferenceKey) continue;
            var prop = type.GetProperty(p.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (prop is null || !prop.CanWrite) continue; // an unknown key: the tree check names it
            RawValue(p.Value, prop.PropertyType, Join(path, p.Name), file, errors, optionalList: Nullable.GetUnderlyingType(prop.PropertyType) is null && !prop.PropertyType.IsValueType && IsNullableReference(prop));
        }
    }

    private static void RawValue(JsonElement v, Type type, string path, string file, List<PlanError> errors, bool optionalList)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (TodoHint(v) is { } hint)
        {
            errors.Add(new PlanError(file, path, TodoMessage + hint));
            return;
        }
        if (v.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new PlanError(file, path, $"null; give {Describe(type)}, or remove the key to take the default"));
            return;
        }
        if (IsLeaf(type))
        {
            if (v.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                errors.Add(new PlanError(file, path, $"expected {Describe(type)}, got {Kind(v)}"));
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (v.ValueKind != JsonValueKind.Array)
            {
                if (v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any() || v.ValueKind == JsonValueKind.String && v.GetString() == "")
                    errors.Add(new PlanError(file, path, $"expected a list, got {Kind(v)}"));
                return; // other shapes: the tree check names them
            }
            if (v.GetArrayLength() == 0 && optionalList)
            {
                errors.Add(new PlanError(file, path, "an empty list; list at least one value, or remove the key to take the default"));
                return;
            }
            var item = type.GetGenericArguments()[0];
            int i = 0;
            foreach (var x in v.EnumerateArray()) RawValue(x, item, $"{path}:{i++}", file, errors, optionalList: false);
            return;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            if (v.ValueKind == JsonValueKind.Array || v.ValueKind == JsonValueKind.String && v.GetString() == "")
                errors.Add(new PlanError(file, path, $"expected {Describe(type)}, got {Kind(v)}"));
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var valueType = type.GetGenericArguments()[1];
            foreach (var p in v.EnumerateObject()) RawValue(p.Value, valueType, Join(path, p.Name), file, errors, optionalList: false);
            return;
        }
        if (type == typeof(TraceSpec) && !v.EnumerateObject().Any())
        {
            // The configuration tree drops an empty object; for trace, whose presence asks for tracing, that would be silence.
            errors.Add(new PlanError(file, path, "an empty object, which reads as not given; write \"trace\": { \"enabled\": true } to trace with the defaults, or remove it"));
            return;
        }
        RawObject(v, type, path, file, errors);
    }

    private static bool IsNullableReference(PropertyInfo p) =>
        new NullabilityInfoContext().Create(p).WriteState == NullabilityState.Nullable;

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}:{key}";

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Object => v.EnumerateObject().Any() ? "an object" : "an empty object {}",
        JsonValueKind.Array => v.GetArrayLength() > 0 ? "a list" : "an empty list []",
        JsonValueKind.String => v.GetString() == "" ? "an empty string" : $"the string '{v.GetString()}'",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        _ => "null",
    };

    // ---- strict check of the merged tree against the document types ----

    private static void CheckTree(IConfiguration section, Type type, string path, List<PlanError> errors, Func<string, string> sourceOf)
    {
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        foreach (var child in section.GetChildren())
        {
            var childPath = path.Length == 0 ? child.Key : $"{path}:{child.Key}";
            var prop = props.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (prop is null && path.Length == 0 && child.Key == SchemaReferenceKey) continue;
            if (prop is null)
            {
                var expected = string.Join(", ", props.Select(p => JsonName(p.Name)));
                errors.Add(new PlanError(sourceOf(childPath), childPath, $"unknown key; expected one of: {expected}"));
                continue;
            }
            CheckValue(child, prop.PropertyType, childPath, errors, sourceOf);
        }
    }

    private static void CheckValue(IConfigurationSection s, Type type, string path, List<PlanError> errors, Func<string, string> sourceOf)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var children = s.GetChildren().ToList();
        if (IsLeaf(type))
        {
            if (children.Count > 0)
            {
                errors.Add(new PlanError(sourceOf(path), path, $"expected {Describe(type)}, got an object or a list"));
                return;
            }
            if (s.Value is null) return;
            if (!TryConvert(s.Value, type))
                errors.Add(new PlanError(sourceOf(path), path, $"'{s.Value}' is not {Describe(type)}"));
            return;
        }
        if (children.Count == 0)
        {
            if (!string.IsNullOrEmpty(s.Value))
                errors.Add(new PlanError(sourceOf(path), path, $"expected {Describe(type)}, got the value '{s.Value}'"));
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var valueType = type.GetGenericArguments()[1];
            foreach (var c in children) CheckValue(c, valueType, $"{path}:{c.Key}", errors, sourceOf);
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var itemType = type.GetGenericArguments()[0];
            foreach (var c in children)
            {
                if (!int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add(new PlanError(sourceOf(path), path, $"expected {Describe(type)}, got an object"));
                    return;
                }
                CheckValue(c, itemType, $"{path}:{c.Key}", errors, sourceOf);
            }
            return;
        }
        CheckTree(s, type, path, errors, sourceOf);
    }

    private static bool IsLeaf(Type t) => t.IsPrimitive || t == typeof(string) || t == typeof(decimal) || t.IsEnum;

    private static bool TryConvert(string value, Type t)
    {
        if (t == typeof(string)) return true;
        if (t == typeof(bool)) return bool.TryParse(value, out _);
        try
        {
            // The binder's own converter: accepts 0x-prefixed hex for integers, as the binder will.
            TypeDescriptor.GetConverter(t).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long)) return "a whole number";
        if (t == typeof(uint)) return "a non-negative whole number (decimal, or hex as \"0x24\")";
        if (t == typeof(double)) return "a number";
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>)) return "a list";
        if (typeof(IEnumerable).IsAssignableFrom(t)) return "an object";
        return "an object";
    }

    internal static string JsonName(string propertyName) => char.ToLowerInvariant(propertyName[0]) + propertyName[1..];
}
