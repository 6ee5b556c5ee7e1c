using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Validate.Plans;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// A suite's resolved parameters as the results record them, and the hash that tells the history which
/// nights measured the same thing (docs/results.md, "Configuration").
/// </summary>
public static class SuiteConfiguration
{
    public static SuiteParameters Parameters(Plan plan, SuitePlan s) => new()
    {
        Kind = s.IsFault ? "fault" : "latency",
        Backend = s.Backend.ToString().ToLowerInvariant(),
        Mode = s.Mode,
        Vectors = s.Mode == "msix" ? s.Vectors ?? [0] : null,
        // A fault suite's repetitions decide, not count, duration, warm-up or the raw ring (not read for it).
        Count = s.IsFault ? 0 : s.Count,
        DurationS = s.IsFault ? null : s.DurationS,
        RateHz = s.RateHz,
        Cpus = s.Cpus,
        Priority = s.Priority,
        IrqPriority = s.IrqPriority,
        Load = s.Load.Name,
        LoadCommands = [.. s.Load.Commands.Select(c => c.ToString())],
        Warmup = s.IsFault ? 0 : s.Warmup,
        TimeoutMs = s.TimeoutMs,
        LoadSettleS = s.LoadSettleS,
        RawRing = s.IsFault ? 0 : s.RawRing,
        Fault = s.Fault?.Kind,
        Repetitions = s.Fault?.Repetitions,
        Driver = s.Fault?.Driver.Name,
        DriverProgram = s.Fault is { } f ? string.Join(' ', new[] { f.Driver.Program }.Concat(f.Driver.Args)) : null,
        Neighbour = s.Fault?.Neighbour,
        HangMs = s.Fault?.HangMs,
        RecoveryTimeoutMs = s.Fault?.RecoveryTimeoutMs,
        VfioReset = s.Fault?.VfioReset,
        Release = s.Backend == BackendKind.Timer ? null : plan.Release,
        Traced = s.Trace is not null ? true : null,
        TraceMarker = s.Trace is { Marker: true } ? true : null,
        TraceFreeze = s.Trace is { Freeze: true } t
            ? $"{string.Join(", ", t.Thresholds.Where(kv => PlanValidator.StagesOf(s.Backend).Contains(kv.Key)).Select(kv => $"{kv.Key} > {Duration.Format(kv.Value)}"))}, after {Duration.Format(t.FreezeAfterNs)}"
            : null,
        Limits = [.. s.Limits.Stages.Select(l => $"{l.Stage} {l.Statistic} {Duration.Format(l.Ns)}")],
    };

    /// <summary>
    /// The first 16 hex digits of SHA-256 over the parameters (limits aside), the kernel's configuration
    /// hash and the card's revision, as canonical JSON: equal exactly when all three are.
    /// </summary>
    public static string Hash(SuiteParameters p, string? kernelConfigHash, string? cardRevision)
    {
        var canonical = JsonSerializer.Serialize(new
        {
            parameters = p with { Limits = [] },
            kernelConfig = kernelConfigHash,
            cardRevision,
        }, RunResults.Json);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }
}
