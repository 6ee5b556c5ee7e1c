using System.CommandLine;
using Validate.Plans;
using Validate.Reports.History;
using Validate.Results;

namespace Validate.Cli.Commands;

/// <summary>validate history and validate compare: trends and night-over-night comparison.</summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var db = new Option<string?>("--db") { Description = "history store: a SQLite file or a PostgreSQL connection string (default: VALIDATE_HISTORY, else out/history.sqlite)" };
        var plan = new Option<string?>("--plan") { Description = "plan name (default: the newest run's)" };
        var host = new Option<string?>("--host") { Description = "machine (default: the newest run's)" };
        var last = new Option<int>("--last") { Description = "how many runs (with --fleet: nights)", DefaultValueFactory = _ => 14 };
        var fleet = new Option<bool>("--fleet") { Description = "every machine in the store: machines x nights with verdicts, worst latency and recovery; writes the fleet page" };
        var page = new Option<string?>("--page") { Description = "with --fleet: where to write the HTML page (default: OUT/fleet.html)" };
        var cmd = new Command("history", "Per suite and stage, the last runs' p99 and max, and regressions of the newest run against the nights before; with --fleet, the whole lab.") { db, plan, host, last, fleet, page };
        cmd.SetAction(p => p.GetValue(fleet)
            ? Fleet(p.GetValue(db), p.GetValue(last), p.GetValue(page))
            : Run(p.GetValue(db), p.GetValue(plan), p.GetValue(host), p.GetValue(last)));
        return cmd;
    }

    private static HistoryStore OpenExisting(ref string? dbPath)
    {
        dbPath ??= HistoryStore.DefaultLocation(RepositoryLayout.Find().Out);
        if (!HistoryStore.IsPostgresLocation(dbPath) && Directory.Exists(dbPath))
            throw new ValidateException(ExitCodes.InputError, $"{dbPath}: is a directory; give the history store's file, e.g. {Path.Combine(dbPath, "history.sqlite")}");
        if (!HistoryStore.IsPostgresLocation(dbPath) && !File.Exists(dbPath))
            throw new ValidateException(ExitCodes.InputError, $"{dbPath}: no history yet; validate run records every run there");
        var store = HistoryStore.Open(dbPath);
        dbPath = store.Path;
        return store;
    }

    /// <summary>validate history --fleet: machines x nights, and the fleet page.</summary>
    private static int Fleet(string? dbPath, int nights, string? page)
    {
        if (nights < 1) throw new ValidateException(ExitCodes.Usage, $"--last {nights}: give 1 or more nights");
        using var store = OpenExisting(ref dbPath);
        var cells = store.Fleet(nights);
        if (cells.Count == 0) throw new ValidateException(ExitCodes.InputError, $"{dbPath}: no runs recorded yet");
        var days = cells.Select(c => c.Night).Distinct().Order().ToList();
        Console.WriteLine($"{"machine",-20} {"plan",-30} " + string.Join(" ", days.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture).PadRight(22))));
        foreach (var row in cells.GroupBy(c => (c.Host, c.Plan)))
        {
            var line = days.Select(d => row.FirstOrDefault(c => c.Night == d) is { } c
                ? $"{c.Verdict.ToUpperInvariant()} {(c.WorstMaxNs is { } m ? Duration.Format(m).Replace(" ", "", StringComparison.Ordinal) : "")}".PadRight(22)
                : "-".PadRight(22));
            Console.WriteLine($"{row.Key.Host,-20} {row.Key.Plan,-30} {string.Join(" ", line)}");
        }
        page ??= Path.Combine(RepositoryLayout.Find().Out, "fleet.html");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(page))!);
        File.WriteAllText(page, Reports.Fleet.FleetPage.Render(cells, store.Path));
        Console.WriteLine($"fleet page: {page}");
        return cells.Any(c => c.Verdict is "fail" or "error" && c.Night == days[^1]) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    public static Command CreateCompare()
    {
        var a = new Argument<string>("before") { Description = "results.json (or run folder) of the earlier run" };
        var b = new Argument<string>("after") { Description = "results.json (or run folder) of the later run" };
        var cmd = new Command("compare", "Compare two runs: per suite and stage p50, p99, max and verdicts, and what changed in the environment.") { a, b };
        cmd.SetAction(p => Compare(p.GetValue(a)!, p.GetValue(b)!));
        return cmd;
    }

    private static int Run(string? dbPath, string? plan, string? host, int last)
    {
        if (last < 2) throw new ValidateException(ExitCodes.Usage, $"--last {last}: give 2 or more");
        using var store = OpenExisting(ref dbPath);
        var (newest, newestPlan, newestHost) = store.Newest(plan, host)
            ?? throw new ValidateException(ExitCodes.InputError, $"{dbPath}: no run of plan '{plan ?? "(any)"}' on host '{host ?? "(any)"}'");
        var v = store.View(newestPlan, newestHost, newest, last);
        Console.WriteLine($"history of '{newestPlan}' on {newestHost}: {v.Series.Values.Max(p => p.Count)} run(s), newest {newest}");
        foreach (var ((suite, stage), points) in v.Series.OrderBy(kv => kv.Key.Suite, StringComparer.Ordinal))
            Console.WriteLine($"  {suite,-30} {stage,-15} p99 {string.Join(" ", points.Select(p => Duration.Format(p.P99Ns)).Select(s => s.Replace(" ", "", StringComparison.Ordinal)))}  | max {Duration.Format(points[^1].MaxNs)}");
        foreach (var c in v.Changes) Console.WriteLine($"configuration changed: {c.Suite} from {c.RunId}: {string.Join("; ", c.What)} (not judged across the change)");
        foreach (var r in v.Regressions) Console.WriteLine($"REGRESSION {r.Suite} {r.Stage}: {r.Why}");
        if (v.PreviousRunId is not null)
            Console.WriteLine(v.EnvironmentChanges.Count == 0 ? "environment: unchanged since the previous run" : "environment changes since the previous run:\n  " + string.Join("\n  ", v.EnvironmentChanges));
        return v.Regressions.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static RunResults Load(string p) =>
        RunResults.Read(Directory.Exists(p) ? Path.Combine(p, Engine.RunSession.ResultsFileName) : File.Exists(p) ? p
            : throw new ValidateException(ExitCodes.InputError, $"{p}: no such results file or run folder"));

    private static int Compare(string before, string after)
    {
        var a = Load(before);
        var b = Load(after);
        Console.WriteLine($"{a.RunId} ({a.Verdict}) -> {b.RunId} ({b.Verdict})");
        Console.WriteLine($"{"suite",-30} {"stage",-15} {"p50",22} {"p99",22} {"max",22}  verdict");
        foreach (var sb in b.Suites)
        {
            var sa = a.Suites.FirstOrDefault(s => s.Name == sb.Name);
            foreach (var st in sb.Stages)
            {
                var old = sa?.Stages.FirstOrDefault(x => x.Name == st.Name);
                string Cell(Func<StageResult, long> f) => old is null ? $"new {Duration.Format(f(st))}" : $"{Duration.Format(f(old))}->{Duration.Format(f(st))} {Pct(f(old), f(st))}";
                Console.WriteLine($"{sb.Name,-30} {st.Name,-15} {Cell(s => s.P50Ns),22} {Cell(s => s.P99Ns),22} {Cell(s => s.MaxNs),22}  {sa?.Verdict.ToString().ToUpperInvariant() ?? "-"}->{sb.Verdict.ToString().ToUpperInvariant()}");
            }
        }
        foreach (var gone in a.Suites.Where(s => b.Suites.All(x => x.Name != s.Name))) Console.WriteLine($"{gone.Name,-30} only in the earlier run");
        var env = HistoryStore.EnvironmentDiff(System.Text.Json.JsonSerializer.Serialize(a.Environment, RunResults.Json), System.Text.Json.JsonSerializer.Serialize(b.Environment, RunResults.Json));
        Console.WriteLine(env.Count == 0 ? "environment: unchanged" : "environment changes:\n  " + string.Join("\n  ", env));
        return ExitCodes.Ok;
    }

    private static string Pct(long a, long b) => a == 0 ? "" : $"({(b - a) * 100.0 / a:+0;-0;0}%)";
}
