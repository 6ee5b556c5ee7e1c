using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Validate.Engine;
using Validate.Plans;
using Validate.Results;

namespace Validate.Cli.Commands;

/// <summary>
/// validate run PLAN: checks the plan, then runs its suites in the NUnit suites runner
/// (Validate.Suites, an executable test runner) with the plan in its environment, and prints the verdicts.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var plan = new Argument<string>("plan") { Description = "the test plan (JSON), e.g. testplans/qemu/edu.json" };
        var outDir = new Option<string?>("--out") { Description = "output folder (default: out/runs/TIMESTAMP-PLAN)" };
        var set = new Option<string[]>("--set") { Description = "override a plan key, KEY=VALUE with a key path, e.g. suites:0:count=100 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var filter = new Option<string?>("--filter") { Description = "NUnit filter over the suites, e.g. \"Name~valirq\" or \"cat==timer\"" };
        var check = new Option<bool>("--check") { Description = "only check the plan: print its suites and exit (0 when valid, 3 when not)" };
        var history = new Option<string?>("--history") { Description = "history store the run is recorded in, for trends and regressions: a SQLite file or a PostgreSQL connection string (default: VALIDATE_HISTORY, else out/history.sqlite)" };
        var cmd = new Command("run", "Run a test plan: real-time set-up, each suite's measurement, verdicts, results.json. Exit 0 all pass or marginal, 1 a suite failed, 3 bad plan, 4 machine not ready.")
        {
            plan, outDir, set, filter, check, history,
        };
        cmd.SetAction(p => Run(p.GetValue(plan)!, p.GetValue(outDir), p.GetValue(set) ?? [], p.GetValue(filter), p.GetValue(check), p.GetValue(history)));
        return cmd;
    }

    public static int Run(string planPath, string? outDir, IReadOnlyList<string> overrides, string? filter, bool checkOnly, string? historyPath = null)
    {
        var plan = PlanLoader.Load(planPath, overrides);
        if (checkOnly)
        {
            Console.WriteLine($"{planPath}: valid: {plan.Name}, {plan.Suites.Count} suite(s); valirq release: {plan.Release}");
            foreach (var s in plan.Suites)
                if (s.Fault is { } f)
                    Console.WriteLine($"  {s.Name,-32} fault   {s.Mode,-15} {f.Kind} x{f.Repetitions}, driver {f.Driver.Name}{(f.Neighbour ? ", neighbour" : "")}{(s.Load.Commands.Count > 0 ? $", load {s.Load.Name}" : "")}, stimulus {s.RateHz}/s, cpu {string.Join(',', s.Cpus)}, prio {s.Priority}");
                else
                    Console.WriteLine($"  {s.Name,-32} {s.Backend.ToString().ToLowerInvariant(),-7} {s.Mode,-15} load {s.Load.Name,-10} {(s.Count == int.MaxValue ? "" : $"{s.Count} samples ")}{(s.DurationS is { } d ? $"<= {d} s " : "")}at {s.RateHz}/s, cpu {string.Join(',', s.Cpus)}, prio {s.Priority}");
            return ExitCodes.Ok;
        }
        var layout = RepositoryLayout.Find();
        var slug = new string(Path.GetFileNameWithoutExtension(planPath).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        outDir = Path.GetFullPath(outDir ?? Path.Combine(layout.Out, "runs", $"{DateTime.Now:yyyyMMdd-HHmmss}-{slug}"));
        Directory.CreateDirectory(outDir);
        var runner = Path.Combine(layout.BinOf("Validate.Suites"), "Validate.Suites");
        if (!File.Exists(runner))
            throw new ValidateException(ExitCodes.SetupError, $"{runner} is not built; run ./validate (it builds) or dotnet build -c Release");

        var psi = new ProcessStartInfo(runner) { UseShellExecute = false };
        // No TRX here: it makes the test platform run the tests in a child process of the one we start,
        // and a signal we forward would reach the wrong process. results.json is the run's record.
        foreach (var a in new[] { "--results-directory", outDir, "--progress", "off", "--output", "detailed" })
            psi.ArgumentList.Add(a);
        if (filter is not null)
        {
            psi.ArgumentList.Add("--filter");
            psi.ArgumentList.Add(filter);
        }
        psi.Environment["VALIDATE_PLAN"] = Path.GetFullPath(planPath);
        psi.Environment["VALIDATE_PLAN_SET"] = string.Join('\n', overrides);
        psi.Environment["VALIDATE_RUN_DIR"] = outDir;
        psi.Environment["VALIDATE_ROOT"] = layout.Root;

        Console.WriteLine($"run: {plan.Name} ({planPath}), {plan.Suites.Count} suite(s); output in {outDir}");
        using var child = Process.Start(psi) ?? throw new ValidateException(ExitCodes.SetupError, $"cannot start {runner}");
        var signal = 0;
        void Forward(PosixSignalContext c, int number)
        {
            // The suites runner stops measuring, stops loads, quiesces the devices and writes results.
            c.Cancel = true;
            signal = number;
            try { _ = Interop.Signals.Send(child.Id, Interop.Signals.SIGTERM); } catch (InvalidOperationException) { }
        }
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Forward(c, 2)))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, 15)))
            child.WaitForExit();

        var resultsPath = Path.Combine(outDir, RunSession.ResultsFileName);
        if (!File.Exists(resultsPath))
        {
            Console.Error.WriteLine($"validate: the suites runner exited with {child.ExitCode} and wrote no {RunSession.ResultsFileName}; see its output above");
            return signal switch { 2 => ExitCodes.Interrupted, 15 => ExitCodes.Terminated, _ => ExitCodes.SetupError };
        }
        var results = RunResults.Read(resultsPath);
        PrintSummary(results);
        Console.WriteLine($"results: {resultsPath}");
        // Inside the virtual lab the run folder is a 9p share (no SQLite WAL there) and the guest is gone
        // after the run: the host records the run (validate demo does).
        historyPath ??= Environment.GetEnvironmentVariable("VALIDATE_VLAB") == "1" ? null : Reports.History.HistoryStore.DefaultLocation(layout.Out);
        string html, junit;
        try
        {
            (html, junit) = Reports.ReportWriter.Write(resultsPath, historyPath: historyPath);
        }
        catch (Exception e) when (historyPath is not null && e is ValidateException or System.Data.Common.DbException or IOException or UnauthorizedAccessException)
        {
            // The run's own results and report do not depend on the history: say so, and go on without it.
            Console.Error.WriteLine($"validate: history not recorded ({e.Message}); the report has no trend");
            historyPath = null;
            (html, junit) = Reports.ReportWriter.Write(resultsPath);
        }
        Console.WriteLine(historyPath is null ? "history: not recorded inside the virtual lab (the host records the run)"
            : $"history: {(Reports.History.HistoryStore.IsPostgresLocation(historyPath) ? "PostgreSQL (VALIDATE_HISTORY)" : historyPath)}");
        Console.WriteLine($"report: {html}");
        Console.WriteLine($"junit: {junit}");
        if (signal != 0) return signal == 2 ? ExitCodes.Interrupted : ExitCodes.Terminated;
        // A suite the runner could not even start (its setup threw) shows as a missing result: a failure.
        var expected = filter is null ? plan.Suites.Count : results.Suites.Count;
        if (results.Suites.Count < expected || child.ExitCode != 0 && results.Verdict == Verdict.Pass)
            return ExitCodes.Failed;
        return results.Verdict is Verdict.Pass or Verdict.Marginal ? ExitCodes.Ok : ExitCodes.Failed;
    }

    public static void PrintSummary(RunResults r)
    {
        Console.WriteLine();
        foreach (var w in r.Environment.Warnings) Console.WriteLine($"WARNING: {w}");
        foreach (var p in r.Realtime.Problems) Console.WriteLine($"NOT REAL-TIME: {p}");
        Console.WriteLine($"{"suite",-30} {"verdict",-9} {"stage",-15} {"n",8} {"min",10} {"p50",10} {"p99",10} {"p99.9",10} {"max",10}  lost/extra/missed");
        foreach (var s in r.Suites)
        {
            var first = true;
            foreach (var st in s.Stages.DefaultIfEmpty())
            {
                var name = first ? s.Name : "";
                var verdict = first ? s.Verdict.ToString().ToUpperInvariant() : "";
                var counts = first && s.Counts is { } c ? $"{c.Lost}/{c.Extra}/{c.Missed}" : "";
                if (st is null) Console.WriteLine($"{name,-30} {verdict,-9} {s.Message}");
                else
                    Console.WriteLine($"{name,-30} {verdict,-9} {st.Name,-15} {st.Count,8} {Duration.Format(st.MinNs),10} {Duration.Format(st.P50Ns),10} {Duration.Format(st.P99Ns),10} {Duration.Format(st.P999Ns),10} {Duration.Format(st.MaxNs),10}  {counts}");
                first = false;
            }
            if (s.Verdict != Verdict.Pass && s.Stages.Count > 0) Console.WriteLine($"{"",-30} {"",-9} {s.Message}");
            if (s.Fault is { } f && Reports.Html.HtmlReport.ReleaseLine(f) is var (label, text) && text is not null)
                Console.WriteLine($"{"",-30} {"",-9} {label}: {text}");
        }
        var releases = r.Suites.Where(s => s.Fault is { IsVfio: false }).Select(s => s.Fault!.Release).OfType<ReleaseCounts>().ToList();
        if (releases.Count > 0)
            Console.WriteLine($"valirq's releases over the fault suites: {releases.Sum(x => x.Quiesced)} quiesced, {releases.Sum(x => x.Reset)} reset, {releases.Sum(x => x.Neither)} neither, {releases.Sum(x => x.None)} none, {releases.Sum(x => x.Unobserved)} unobserved");
        Console.WriteLine($"verdict: {r.Verdict.ToString().ToUpperInvariant()} ({r.Suites.Count(s => s.Verdict == Verdict.Pass)} pass, {r.Suites.Count(s => s.Verdict == Verdict.Marginal)} marginal, {r.Suites.Count(s => s.Verdict is Verdict.Fail or Verdict.Error)} fail, {r.Suites.Count(s => s.Verdict == Verdict.Skipped)} skipped)");
    }
}
