using System.Globalization;

namespace Validate.Devices;

/// <summary>
/// What valirq says of one bound function in sysfs, /sys/class/misc/valirq-ADDRESS/ (one value per
/// file; kmod/README.md): the counters, the mode, the outcome of the last release, why the kernel holds
/// the PCI 2.3 Interrupt Disable bit, and bus mastering. A file that cannot be read is absent (an older
/// valirq, or the card gone).
/// </summary>
public sealed record ValirqSysfs(
    IReadOnlyDictionary<string, long> Counters,
    string? Mode,
    string? LastRelease,
    string? IntxHold,
    bool? Busmaster,
    bool? Masked,
    bool? IntxDisabled)
{
    public const string ClassRoot = "/sys/class/misc";

    /// <summary>The counters valirq keeps, in the order `validate devices` prints them.</summary>
    public static readonly string[] CounterNames =
        ["hardirqs", "irq_none", "events", "overruns", "masks", "unmasks", "quiesces", "quiesce_failures", "resets", "reset_failures", "mismatches", "revocations"];

    /// <summary>Values of last_release.</summary>
    public static readonly string[] ReleaseValues = ["none", "quiesced", "reset", "neither"];

    /// <summary>Reasons intx_hold lists (or "none").</summary>
    public static readonly string[] HoldReasons = ["handler", "setup", "teardown", "loud", "mismatch", "revoked"];

    public static readonly ValirqSysfs Absent = new(new Dictionary<string, long>(), null, null, null, null, null, null);

    public static string DirOf(string pciAddress, string classRoot = ClassRoot) => Path.Combine(classRoot, "valirq-" + pciAddress);

    public bool Present => Mode is not null || Counters.Count > 0;

    public long this[string counter] => Counters.GetValueOrDefault(counter);

    /// <summary>The reasons in intx_hold ("none" or empty: none).</summary>
    public IReadOnlyList<string> HoldList =>
        IntxHold is null or "none" ? [] : IntxHold.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static ValirqSysfs Read(string pciAddress, string classRoot = ClassRoot)
    {
        var dir = DirOf(pciAddress, classRoot);
        if (!Directory.Exists(dir)) return Absent;
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var n in CounterNames)
            if (Text(dir, n) is { } t && long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) counters[n] = v;
        return new ValirqSysfs(counters, Text(dir, "mode"), Text(dir, "last_release"), Text(dir, "intx_hold"),
            Flag(Text(dir, "busmaster")), Flag(Text(dir, "masked")), Flag(Text(dir, "intx_disabled")));
    }

    private static bool? Flag(string? s) => s switch { "1" => true, "0" => false, _ => null };

    private static string? Text(string dir, string name)
    {
        try { return File.ReadAllText(Path.Combine(dir, name)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// One line for `validate devices`: "msi busmaster=1 last_release=quiesced intx_hold=none hardirqs=10 ..."
    /// (intx_hold's reasons joined by commas, so that the line stays key=value).
    /// </summary>
    public string Describe()
    {
        var parts = new List<string> { Mode ?? "?" };
        if (Busmaster is { } b) parts.Add($"busmaster={(b ? 1 : 0)}");
        if (Masked is { } m) parts.Add($"masked={(m ? 1 : 0)}");
        if (IntxDisabled is { } d) parts.Add($"intx_disabled={(d ? 1 : 0)}");
        if (LastRelease is not null) parts.Add($"last_release={LastRelease}");
        if (IntxHold is not null) parts.Add($"intx_hold={(HoldList.Count == 0 ? "none" : string.Join(',', HoldList))}");
        foreach (var n in CounterNames)
            if (Counters.TryGetValue(n, out var v)) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{n}={v}"));
        return string.Join(' ', parts);
    }
}
