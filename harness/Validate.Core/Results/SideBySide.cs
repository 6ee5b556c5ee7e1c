namespace Validate.Results;

/// <summary>
/// Side by side (docs/results.md, <c>comparisons</c>): the latency suites of one run grouped by the card
/// they drove (its PCI address) and their load, one comparison per group of two suites or more, so that
/// the same card through valirq, uio and vfio (each in its modes) reads in one table. Timer suites (no
/// card) and fault suites (recovery, not latency) take no part. Generic over backends: a row carries the
/// backend's <c>total</c> and whichever stages the backend has; no backend name is known here.
/// </summary>
public static class SideBySide
{
    /// <summary>The backend whose suites are not of a card (timer latency): never compared.</summary>
    public const string CardlessBackend = "timer";

    /// <summary>The stage every backend ends with, compared across rows.</summary>
    public const string Total = "total";

    /// <summary>
    /// "To user": the stage of each backend that measures the interrupt path to user space, raise write to
    /// the user-space thread woken up, the one figure comparable across backends. This is the one place the
    /// rule lives. valirq and uio measure exactly that as their total; vfio's total goes on through the
    /// user-space handler (check, ack and, for INTx, the unmask ioctl), so its comparable stage is
    /// raise-user (raise to the eventfd read returning). A backend not listed has no "to user" figure.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ToUserStages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["valirq"] = "total",
        ["uio"] = "total",
        ["vfio"] = "raise-user",
    };

    /// <summary>The "to user" stage of <paramref name="s"/> (<see cref="ToUserStages"/>), or null.</summary>
    public static StageResult? ToUserStage(SuiteResult s) =>
        ToUserStages.TryGetValue(s.Backend, out var name) ? s.Stages.FirstOrDefault(st => st.Name == name) : null;

    private static TotalLatency? Latency(StageResult? st) =>
        st is null ? null : new TotalLatency(st.P50Ns, st.P90Ns, st.P99Ns, st.P999Ns, st.P9999Ns, st.MaxNs);

    /// <summary>
    /// The card a suite drove: <see cref="SuiteResult.CardAddress"/>; in a file written before it existed,
    /// the first word of the <c>card</c> fact (<c>ADDRESS VENDOR:DEVICE rev RR</c>); else null (the suite
    /// never found its card: skipped, or failed before).
    /// </summary>
    public static string? CardOf(SuiteResult s)
    {
        if (!string.IsNullOrWhiteSpace(s.CardAddress)) return s.CardAddress;
        if (s.Facts.TryGetValue("card", out var fact) && fact.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var address, ..])
            return address;
        return null;
    }

    /// <summary>The card's <c>vendor:device</c>: <see cref="SuiteResult.CardId"/>, else the second word of the <c>card</c> fact.</summary>
    public static string? CardIdOf(SuiteResult s)
    {
        if (!string.IsNullOrWhiteSpace(s.CardId)) return s.CardId;
        if (s.Facts.TryGetValue("card", out var fact) && fact.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var id, ..])
            return id;
        return null;
    }

    /// <summary>The groups of <paramref name="suites"/> worth comparing (two suites or more), in the order their first suite ran.</summary>
    public static List<Comparison> Compare(IEnumerable<SuiteResult> suites)
    {
        var groups = suites
            .Where(s => s.Fault is null && s.Backend != CardlessBackend)
            .Select(s => (Suite: s, Card: CardOf(s), Load: s.Load?.Profile ?? "none"))
            .Where(x => x.Card is not null)
            .GroupBy(x => (Card: x.Card!, x.Load));
        var result = new List<Comparison>();
        foreach (var g in groups)
        {
            if (g.Count() < 2) continue;
            var rows = g.Select(x => Row(x.Suite)).ToList();
            var stages = rows.SelectMany(r => r.Stages.Select(st => st.Name)).Where(n => n != Total).Distinct(StringComparer.Ordinal).ToList();
            result.Add(new Comparison(g.Key.Card, g.Select(x => CardIdOf(x.Suite)).FirstOrDefault(id => id is not null), g.Key.Load, stages, rows));
        }
        return result;
    }

    /// <summary>A suite as a row: counts, its total (null when it measured none) and its own stages but total at p50 and p99.</summary>
    public static ComparisonRow Row(SuiteResult s)
    {
        var total = s.Stages.FirstOrDefault(st => st.Name == Total);
        var toUser = ToUserStage(s);
        return new ComparisonRow(
            s.Name, s.Backend, s.Mode, s.Verdict,
            total?.Count ?? s.Counts?.Recorded ?? 0, s.Counts?.Lost ?? 0,
            Latency(total),
            [.. s.Stages.Where(st => st.Name != Total).Select(st => new StageSummary(st.Name, st.P50Ns, st.P99Ns))],
            s.Counts?.Extra ?? 0, toUser?.Name, Latency(toUser));
    }
}

/// <summary>
/// One card (<see cref="Card"/> its address, <see cref="CardId"/> vendor:device) under one load through
/// two suites or more: a row per suite (interface: backend and mode), and <see cref="Stages"/>, the union
/// of the rows' stages but total in the order they first appear (a column each; blank in a row without it).
/// </summary>
public sealed record Comparison(string Card, string? CardId, string Load, IReadOnlyList<string> Stages, IReadOnlyList<ComparisonRow> Rows);

/// <summary>A suite in a comparison: counts, its <c>total</c> (null when not measured) and its other stages at p50 and p99.</summary>
public sealed record ComparisonRow(
    string Suite, string Backend, string Mode, Verdict Verdict, long Count, long Lost,
    TotalLatency? Total, IReadOnlyList<StageSummary> Stages,
    long Extra = 0, string? ToUserStage = null, TotalLatency? ToUser = null)
{
    /// <summary>The interface the row measured: backend and mode.</summary>
    public string Interface => $"{Backend} {Mode}";

    public StageSummary? Stage(string name) => Stages.FirstOrDefault(st => st.Name == name);
}

/// <summary>The suite's total at p50, p90, p99, p99.9, p99.99 and its max (ns).</summary>
public sealed record TotalLatency(long P50Ns, long P90Ns, long P99Ns, long P999Ns, long P9999Ns, long MaxNs);

public sealed record StageSummary(string Name, long P50Ns, long P99Ns);
