using System.ComponentModel;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Validate.Plans;

/// <summary>
/// The JSON Schema (draft 2020-12) of test plans, made from the plan types: every public property of
/// <see cref="PlanDocument"/> and the types it holds is a key (camelCase), described by its [Description],
/// typed as the loader reads it, and refused when unknown (additionalProperties false, as PlanLoader
/// refuses it). The closed vocabularies and ranges come from <see cref="PlanValidator"/>'s constants.
/// Committed as testplans/plan.schema.json, which plans name in "$schema" so that editors complete and
/// check keys; PlanSchemaTests keeps the file in step with this. What a schema cannot say (a register a
/// step names must exist, a mode must be one of its backend's, ...) only `validate run --check` checks.
/// </summary>
public static class PlanSchema
{
    /// <summary>Where the schema is committed, relative to the checkout.</summary>
    public const string RelativePath = "testplans/plan.schema.json";
    public const string FileName = "plan.schema.json";
    public const string Id = "urn:validate:testplan:1";
    public const string Dialect = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>The schema as committed: indented, non-ASCII and HTML characters as written, one newline at the end.</summary>
    public static string Text() =>
        Generate().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

    public static JsonObject Generate()
    {
        var defs = new JsonObject();
        var root = new JsonObject
        {
            ["$schema"] = Dialect,
            ["$id"] = Id,
            ["title"] = "Validate test plan",
            ["description"] = "A test plan of Validate (docs/test-plans.md), or a layer of one (defaults.json): which card, how it interrupts, which suites, their limits. "
                + "This schema checks each file's keys, types, vocabularies and ranges; `validate run PLAN --check` checks the merged plan (required keys, names that refer to one another, what depends on the backend or the kind).",
        };
        var body = ObjectSchema(typeof(PlanDocument), defs);
        ((JsonObject)body["properties"]!).Insert(0, PlanLoader.SchemaReferenceKey, new JsonObject
        {
            ["description"] = "The JSON Schema of plans, for editors (relative to this file, e.g. \"../plan.schema.json\"); the engine ignores it.",
            ["type"] = "string",
        });
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            root[key] = value;
        }
        root["$defs"] = defs;
        return root;
    }

    // ---- the types: one $defs entry per plan class, a property per key ----

    /// <summary>An object of <paramref name="type"/>'s keys, in declaration order; no other key.</summary>
    private static JsonObject ObjectSchema(Type type, JsonObject defs)
    {
        var properties = new JsonObject();
        foreach (var p in Keys(type))
        {
            var schema = new JsonObject { ["description"] = DescriptionOf(p) };
            Merge(schema, TypeSchema(p.PropertyType, defs));
            if (Refinements.TryGetValue((type, p.Name), out var extra)) Merge(schema, extra());
            properties[PlanLoader.JsonName(p.Name)] = schema;
        }
        return new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
    }

    /// <summary>The keys of a plan type: its public settable properties, as PlanLoader reads them.</summary>
    private static IEnumerable<PropertyInfo> Keys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).OrderBy(p => p.MetadataToken);

    /// <summary>The $defs name of a plan class: CardSpec -> card.</summary>
    private static string DefName(Type t) => PlanLoader.JsonName(t.Name.EndsWith("Spec", StringComparison.Ordinal) ? t.Name[..^4] : t.Name);

    private static string DescriptionOf(PropertyInfo p) => p.GetCustomAttribute<DescriptionAttribute>()?.Description
        ?? throw new InvalidOperationException($"{p.DeclaringType!.Name}.{p.Name} has no [Description]: say what the plan key is for");

    private static bool IsPlanClass(Type t) => t.IsClass && t != typeof(string) && t.Namespace == typeof(PlanDocument).Namespace;

    private static JsonObject TypeSchema(Type t, JsonObject defs)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return new() { ["type"] = "string" };
        if (t == typeof(bool)) return new() { ["type"] = "boolean" };
        if (t == typeof(int) || t == typeof(long)) return new() { ["type"] = "integer" };
        if (t == typeof(double)) return new() { ["type"] = "number" };
        if (t == typeof(uint)) return Hex(uint.MaxValue);
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
            return new() { ["type"] = "array", ["items"] = TypeSchema(t.GetGenericArguments()[0], defs) };
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            return new() { ["type"] = "object", ["additionalProperties"] = TypeSchema(t.GetGenericArguments()[1], defs) };
        if (IsPlanClass(t))
        {
            var name = DefName(t);
            if (!defs.ContainsKey(name))
            {
                defs[name] = null; // taken before its properties are made, so a type that holds itself ends
                defs[name] = ObjectSchema(t, defs);
            }
            return new() { ["$ref"] = $"#/$defs/{name}" };
        }
        throw new NotSupportedException($"plan key of type {t.Name}: teach PlanSchema (and PlanLoader) how JSON writes it");
    }

    /// <summary>
    /// An unsigned number up to <paramref name="max"/>: an integer, or a hex string "0x...", the two forms the
    /// binder's converter reads that plans use (it also reads "#ff", "&amp;hff" and decimal strings, which plans do not).
    /// </summary>
    private static JsonObject Hex(uint max) => new()
    {
        ["anyOf"] = new JsonArray(
            new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = max },
            new JsonObject { ["type"] = "string", ["pattern"] = $"^0[xX]0*[0-9a-fA-F]{{1,{max.ToString("x", null).Length}}}$" }),
    };

    /// <summary>Keywords set on <paramref name="into"/>, replacing what it had under the same name.</summary>
    private static void Merge(JsonObject into, JsonObject extra)
    {
        foreach (var (key, value) in extra.ToList())
        {
            extra.Remove(key);
            into[key] = value;
        }
    }

    // ---- what the validator checks beyond the type, where a schema can say it ----

    private static JsonObject Enum(IEnumerable<string> values) => new() { ["enum"] = new JsonArray([.. values.Select(v => JsonValue.Create(v))]) };

    private static JsonObject Range(double min, double max) => new() { ["minimum"] = min, ["maximum"] = max };

    private static JsonObject Min(double min) => new() { ["minimum"] = min };

    /// <summary>A list of steps (at most valirq's limit) whose ops are <paramref name="ops"/>.</summary>
    private static JsonObject Steps(string[] ops) => new() { ["maxItems"] = Interop.Valirq.MaxSteps, ["items"] = Step(ops) };

    private static JsonObject Step(string[] ops) => new() { ["$ref"] = $"#/$defs/{DefName(typeof(StepSpec))}", ["properties"] = new JsonObject { ["op"] = Enum(ops) } };

    /// <summary>An optional list: given, it lists at least one (PlanLoader refuses an empty one).</summary>
    private static JsonObject NonEmpty(JsonObject items, JsonObject? more = null)
    {
        var o = new JsonObject { ["minItems"] = 1, ["items"] = items };
        if (more is not null) Merge(o, more);
        return o;
    }

    private static readonly string[] Modes =
        [.. PlanValidator.ValirqModes.Concat(PlanValidator.UioModes).Concat(PlanValidator.VfioModes).Concat(PlanValidator.TimerModes).Concat(FaultPlan.DriverModes).Distinct()];

    private static readonly string[] Stages =
        [.. System.Enum.GetValues<BackendKind>().SelectMany(PlanValidator.StagesOf).Concat(FaultPlan.Stages).Distinct()];

    /// <summary>The stages a trace threshold may name: the trace's own and every latency backend's.</summary>
    private static readonly string[] TraceStages =
        [.. TracePlan.Stages.Concat(new[] { BackendKind.Valirq, BackendKind.Uio, BackendKind.Vfio }.SelectMany(PlanValidator.StagesOf)).Distinct()];

    /// <summary>Powers of two from the smallest ring up to the largest int.</summary>
    private static readonly int[] RawRings = [.. Enumerable.Range(0, 31).Select(i => 1 << i).Where(r => r >= PlanValidator.MinRawRing)];

    /// <summary>
    /// Per key (type, property): keywords added to its type's schema. Where a check depends on another key
    /// (the backend a mode belongs to, the kind a range belongs to) the widest the keys allow is given here.
    /// </summary>
    private static readonly Dictionary<(Type, string), Func<JsonObject>> Refinements = new()
    {
        [(typeof(PlanDocument), nameof(PlanDocument.Schema))] = () => new() { ["const"] = PlanValidator.SupportedSchema },
        [(typeof(PlanDocument), nameof(PlanDocument.Name))] = () => new() { ["pattern"] = "\\S" },
        [(typeof(PlanDocument), nameof(PlanDocument.Release))] = () => Enum(PlanValidator.ReleasePolicies),
        [(typeof(PlanDocument), nameof(PlanDocument.Init))] = () => Steps(PlanValidator.StatusFreeStepOps),
        [(typeof(PlanDocument), nameof(PlanDocument.Disable))] = () => Steps(PlanValidator.StatusFreeStepOps),
        [(typeof(PlanDocument), nameof(PlanDocument.Quiesce))] = () => Steps(PlanValidator.StepOps),
        [(typeof(CardSpec), nameof(CardSpec.Vendor))] = () => Hex(ushort.MaxValue),
        [(typeof(CardSpec), nameof(CardSpec.Device))] = () => Hex(ushort.MaxValue),
        [(typeof(CardSpec), nameof(CardSpec.Revision))] = () => Hex(byte.MaxValue),
        [(typeof(CardSpec), nameof(CardSpec.Address))] = () => new() { ["pattern"] = PlanValidator.PciAddressPattern },
        [(typeof(CardSpec), nameof(CardSpec.FloodAddress))] = () => new() { ["pattern"] = PlanValidator.PciAddressPattern },
        [(typeof(RegisterSpec), nameof(RegisterSpec.Bar))] = () => Range(0, PlanValidator.MaxBar),
        [(typeof(RegisterSpec), nameof(RegisterSpec.Width))] = () => new() { ["enum"] = new JsonArray([.. PlanValidator.RegisterWidths.Select(w => JsonValue.Create(w))]) },
        [(typeof(RegisterSpec), nameof(RegisterSpec.Space))] = () => Enum(PlanValidator.AddressSpaces),
        [(typeof(StepSpec), nameof(StepSpec.Op))] = () => Enum([.. PlanValidator.CheckOps, .. PlanValidator.StepOps]),
        [(typeof(IrqProgramSpec), nameof(IrqProgramSpec.Check))] = () => Step(PlanValidator.CheckOps),
        [(typeof(IrqProgramSpec), nameof(IrqProgramSpec.VectorStatus))] = () => NonEmpty(Hex(uint.MaxValue), new() { ["maxItems"] = PlanValidator.MaxMsixEntry + 1 }),
        [(typeof(IrqProgramSpec), nameof(IrqProgramSpec.Ack))] = () => Steps(PlanValidator.StepOps),
        [(typeof(IrqProgramSpec), nameof(IrqProgramSpec.Mask))] = () => Steps(PlanValidator.StepOps),
        [(typeof(IrqProgramSpec), nameof(IrqProgramSpec.Unmask))] = () => Steps(PlanValidator.StepOps),
        [(typeof(StimulusSpec), nameof(StimulusSpec.Tag))] = () => Enum(PlanValidator.TagKinds),
        [(typeof(StimulusSpec), nameof(StimulusSpec.StatusShift))] = () => Range(-PlanValidator.MaxStatusShift, PlanValidator.MaxStatusShift),
        [(typeof(HealthCheckSpec), nameof(HealthCheckSpec.WithinMs))] = () => Range(0, PlanValidator.MaxWithinMs),
        [(typeof(RealtimeSpec), nameof(RealtimeSpec.Priority))] = () => Range(PlanValidator.MinPriority, PlanValidator.MaxPriority),
        [(typeof(RealtimeSpec), nameof(RealtimeSpec.OnFailure))] = () => Enum(PlanValidator.OnFailureActions),
        [(typeof(LoadCommandSpec), nameof(LoadCommandSpec.Kind))] = () => Enum(PlanValidator.LoadCommandKinds),
        [(typeof(LoadCommandSpec), nameof(LoadCommandSpec.RateHz))] = () => Min(0),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Name))] = () => new() { ["pattern"] = PlanValidator.SuiteNamePattern },
        [(typeof(SuiteSpec), nameof(SuiteSpec.Kind))] = () => Enum(PlanValidator.SuiteKinds),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Fault))] = () => Enum(FaultPlan.Kinds),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Repetitions))] = () => Range(1, PlanValidator.MaxRepetitions),
        [(typeof(SuiteSpec), nameof(SuiteSpec.HangMs))] = () => Range(PlanValidator.MinHangMs, PlanValidator.MaxHangMs),
        [(typeof(SuiteSpec), nameof(SuiteSpec.RecoveryTimeoutMs))] = () => Range(PlanValidator.MinRecoveryTimeoutMs, PlanValidator.MaxRecoveryTimeoutMs),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Backend))] = () => Enum(PlanValidator.Backends),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Mode))] = () => Enum(Modes),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Vectors))] = () =>
            NonEmpty(new() { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = PlanValidator.MaxMsixEntry }, new() { ["uniqueItems"] = true }),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Count))] = () => Min(1),
        [(typeof(SuiteSpec), nameof(SuiteSpec.DurationS))] = () => new() { ["exclusiveMinimum"] = 0, ["maximum"] = PlanValidator.MaxDurationS },
        [(typeof(SuiteSpec), nameof(SuiteSpec.RateHz))] = () => Range(0, Math.Max(PlanValidator.LatencyMaxRateHz, PlanValidator.FaultMaxRateHz)),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Cpus))] = () => NonEmpty(new() { ["type"] = "integer", ["minimum"] = 0 }),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Priority))] = () => Range(PlanValidator.MinPriority, PlanValidator.MaxPriority),
        [(typeof(SuiteSpec), nameof(SuiteSpec.IrqPriority))] = () => Range(PlanValidator.MinPriority, PlanValidator.MaxPriority),
        [(typeof(SuiteSpec), nameof(SuiteSpec.Warmup))] = () => Min(0),
        [(typeof(SuiteSpec), nameof(SuiteSpec.TimeoutMs))] = () => Range(PlanValidator.MinTimeoutMs, PlanValidator.MaxTimeoutMs),
        [(typeof(SuiteSpec), nameof(SuiteSpec.LoadSettleS))] = () => Range(0, PlanValidator.MaxLoadSettleS),
        [(typeof(SuiteSpec), nameof(SuiteSpec.RawRing))] = () => new() { ["enum"] = new JsonArray([.. RawRings.Select(r => JsonValue.Create(r))]) },
        [(typeof(TraceSpec), nameof(TraceSpec.Thresholds))] = () => new()
        {
            ["propertyNames"] = Enum(TraceStages),
            ["additionalProperties"] = new JsonObject { ["type"] = "string", ["pattern"] = Duration.Pattern },
        },
        [(typeof(TraceSpec), nameof(TraceSpec.Keep))] = () => Range(1, TracePlan.MaxKeep),
        [(typeof(TraceSpec), nameof(TraceSpec.BufferKb))] = () => Range(TracePlan.MinBufferKb, TracePlan.MaxBufferKb),
        [(typeof(LimitsSpec), nameof(LimitsSpec.Marginal))] = () => new() { ["minimum"] = 0, ["exclusiveMaximum"] = 1 },
        [(typeof(LimitsSpec), nameof(LimitsSpec.MaxLost))] = () => Min(0),
        [(typeof(LimitsSpec), nameof(LimitsSpec.MaxMissed))] = () => Min(0),
        [(typeof(LimitsSpec), nameof(LimitsSpec.MaxExtra))] = () => Min(0),
        [(typeof(LimitsSpec), nameof(LimitsSpec.MaxDuplicated))] = () => Min(0),
        [(typeof(LimitsSpec), nameof(LimitsSpec.Stages))] = () => new()
        {
            ["propertyNames"] = Enum(Stages),
            ["additionalProperties"] = new JsonObject
            {
                ["type"] = "object",
                ["propertyNames"] = Enum(PlanValidator.Statistics),
                ["additionalProperties"] = new JsonObject { ["type"] = "string", ["pattern"] = Duration.Pattern },
            },
        },
    };
}
