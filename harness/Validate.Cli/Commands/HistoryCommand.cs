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
        var last = new Option<int>("--last") { Description = "how many runs", DefaultValueFactory = _ => 14 };
        var cmd = new Command("history", "Per suite and stage, the last runs' p99 and max, and regressions of the newest run against the nights before.") { db, plan, host, last };
        cmd.SetAction(p => Run(p.GetValue(db), p.GetValue(plan), p.GetValue(host), p.GetValue(last)));
        return cmd;
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
        dbPath ??= HistoryStore.DefaultLocation(RepositoryLayout.Find().Out);
        if (!HistoryStore.IsPostgresLocation(dbPath) && !File.Exists(dbPath))
            throw new ValidateException(ExitCodes.InputError, $"{dbPath}: no history yet; validate run records every run there");
        using var store = HistoryStore.Open(dbPath);
        dbPath = store.Path;
        var (newest, newestPlan, newestHost) = store.Newest(plan, host)
            ?? throw new ValidateException(ExitCodes.InputError, $"{dbPath}: no run of plan '{plan ?? "(any)"}' on host '{host ?? "(any)"}'");
        var v = store.View(newestPlan, newestHost, newest, last);
        Console.WriteLine($"history of '{newestPlan}' on {newestHost}: {v.Series.Values.Max(p => p.Count)} run(s), newest {newest}");
        foreach (var ((suite, stage), points) in v.Series.OrderBy(kv => kv.Key.Suite, StringComparer.Ordinal))
            Console.WriteLine($"  {suite,-30} {stage,-15} p99 {string.Join(" ", points.Select(p => Duration.Format(p.P99Ns)).Select(s => s.Replace(" ", "", StringComparison.Ordinal)))}  | max {Duration.Format(points[^1].MaxNs)}");
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
