using System.Collections.Concurrent;
using Validate.Reports.Terminal;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Validate.Engine;
using Validate.Plans;
using Validate.Results;

namespace Validate.Cli.Commands;

/// <summary>
/// validate run PLAN: checks the plan and selects its suites (--filter), then runs them in the plan's order
/// in the NUnit suites runner (Validate.Suites, an executable test runner) with the plan in its environment,
/// shows each suite's start, progress and end from the runner's events, keeps the test platform's own output
/// in the run's log (runner.log; on the console with --verbose, or its end when the runner itself fails),
/// and prints the verdicts.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var plan = new Argument<string>("plan") { Description = "the test plan (JSON), e.g. testplans/qemu/edu.json" };
        var outDir = new Option<string?>("--out") { Description = "output folder (default: out/runs/TIMESTAMP-PLAN)" };
        var set = new Option<string[]>("--set") { Description = "override a plan key, KEY=VALUE with a key path, e.g. suites:0:count=100 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var filter = new Option<string?>("--filter") { Description = "run only the suites this selects, e.g. \"Name~valirq\", \"cat==fault\", \"Backend=uio|Mode=msix\" (properties: Name, FullyQualifiedName, Category/cat, Backend, Mode, Load, Fault, Kind; = != ~ !~, & |, !, parentheses)" };
        var check = new Option<bool>("--check") { Description = "only check the plan: print the suites it would run, in order, with their planned time, and exit (0 when valid, 3 when not)" };
        var history = new Option<string?>("--history") { Description = "history store the run is recorded in, for trends and regressions: a SQLite file or a PostgreSQL connection string (default: VALIDATE_HISTORY, else out/history.sqlite)" };
        var verbose = new Option<bool>("--verbose") { Description = "also show the test platform's output and the run's notes as they come (always kept in OUT/runner.log)" };
        var lava = new Option<bool>("--lava") { Description = "also print LAVA test-case lines (<LAVA_SIGNAL_TESTCASE ...>: each suite's result, its stages' p50/p99/max and counts as measurements), for a LAVA lab" };
        var every = new Option<int>("--progress-every") { Description = "without a terminal: seconds between progress lines of a running suite (default 10)", DefaultValueFactory = _ => 10 };
        var hangAfter = new Option<int?>("--hang-after") { Description = "seconds a suite may run before the run takes it as hung (default: 10 times its planned time and 10 minutes more): what the runner's threads were doing goes to OUT/hang-SUITE.txt, the runner is stopped (SIGTERM, then SIGKILL), the suite is ERROR and the rest not run" };
        var cmd = new Command("run", "Run a test plan: real-time set-up, each suite's measurement in the plan's order with its progress, verdicts, results.json. Exit 0 all pass or marginal, 1 a suite failed, 2 usage, 3 bad plan, 4 machine not ready.")
        {
            plan, outDir, set, filter, check, history, verbose, every, lava, hangAfter,
        };
        cmd.SetAction(p => Run(p.GetValue(plan)!, p.GetValue(outDir), p.GetValue(set) ?? [], p.GetValue(filter), p.GetValue(check), p.GetValue(history),
            p.GetValue(verbose), p.GetValue(every), p.GetValue(lava), p.GetValue(hangAfter)));
        return cmd;
    }

    /// <summary>Where the test platform's own output goes, in the run folder.</summary>
    public const string RunnerLogName = "runner.log";

    public static int Run(string planPath, string? outDir, IReadOnlyList<string> overrides, string? filter, bool checkOnly, string? historyPath = null,
        bool verbose = false, int progressEveryS = 10, bool lava = false, int? hangAfterS = null)
    {
        var plan = PlanLoader.Load(planPath, overrides);
        if (progressEveryS < 1) throw new ValidateException(ExitCodes.Usage, $"--progress-every {progressEveryS}: give a whole number of seconds, 1 or more");
        if (hangAfterS is < 1) throw new ValidateException(ExitCodes.Usage, $"--hang-after {hangAfterS}: give a whole number of seconds, 1 or more");
        var selected = SuiteFilter.Select(plan, filter);
        if (selected.Count == 0)
            throw new ValidateException(ExitCodes.Usage, $"--filter \"{filter}\" selects none of the {plan.Suites.Count} suites of {planPath}; `validate run {planPath} --check` lists them");
        if (checkOnly)
        {
            var total = selected.Sum(s => SuiteEstimate.Of(s).Seconds);
            Console.WriteLine($"{planPath}: valid: {plan.Name}, {plan.Suites.Count} suite(s){(filter is null ? "" : $", {selected.Count} selected by --filter")}; valirq release: {plan.Release}; planned ~{SuiteEstimate.Words(total)}, in this order:");
            foreach (var s in selected)
                if (s.Fault is { } f)
                    Console.WriteLine($"  {s.Name,-32} fault   {s.Mode,-15} {f.Kind} x{f.Repetitions}, driver {f.Driver.Name}{(f.Neighbour ? ", neighbour" : "")}{(s.Load.Commands.Count > 0 ? $", load {s.Load.Name}" : "")}, stimulus {s.RateHz}/s, cpu {string.Join(',', s.Cpus)}, prio {s.Priority}; ~{SuiteEstimate.Words(SuiteEstimate.Of(s).Seconds)}");
                else
                    Console.WriteLine($"  {s.Name,-32} {s.Backend.ToString().ToLowerInvariant(),-7} {s.Mode,-15} load {s.Load.Name,-10} {(s.Count == int.MaxValue ? "" : $"{s.Count} samples ")}{(s.DurationS is { } d ? $"<= {d} s " : "")}at {s.RateHz}/s, cpu {string.Join(',', s.Cpus)}, prio {s.Priority}; ~{SuiteEstimate.Words(SuiteEstimate.Of(s).Seconds)}");
            return ExitCodes.Ok;
        }
        var layout = RepositoryLayout.Find();
        var slug = new string(Path.GetFileNameWithoutExtension(planPath).Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
        outDir = Path.GetFullPath(outDir ?? Path.Combine(layout.Out, "runs", $"{DateTime.Now:yyyyMMdd-HHmmss}-{slug}"));
        Directory.CreateDirectory(outDir);
        var runner = Path.Combine(layout.BinOf("Validate.Suites"), "Validate.Suites");
        if (!File.Exists(runner))
            throw new ValidateException(ExitCodes.SetupError, $"{runner} is not built; run ./validate (it builds) or dotnet build -c Release");

        var psi = new ProcessStartInfo(runner) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // No TRX here: it makes the test platform run the tests in a child process of the one we start,
        // and a signal we forward would reach the wrong process. results.json is the run's record.
        foreach (var a in new[] { "--results-directory", outDir, "--progress", "off", "--output", "detailed" })
            psi.ArgumentList.Add(a);
        psi.Environment["VALIDATE_PLAN"] = Path.GetFullPath(planPath);
        psi.Environment["VALIDATE_PLAN_SET"] = string.Join('\n', overrides);
        psi.Environment["VALIDATE_SUITES"] = string.Join('\n', selected.Select(s => s.Name));
        psi.Environment["VALIDATE_EVENTS"] = "1";
        // Progress is read as often as it is shown: nothing of ours wakes in a window for a line nobody sees.
        psi.Environment[ProgressSampler.IntervalVariable] =
            ((long)RunConsole.SampleEvery(RunConsole.IsLive, TimeSpan.FromSeconds(progressEveryS)).TotalMilliseconds)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The runner keeps this process's threads off its measuring CPUs during each window, as its own.
        psi.Environment[QuietWindow.CliPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["VALIDATE_RUN_DIR"] = outDir;
        psi.Environment["VALIDATE_ROOT"] = layout.Root;

        var logPath = Path.Combine(outDir, RunnerLogName);
        var planned = selected.Sum(s => SuiteEstimate.Of(s).Seconds);
        Console.WriteLine($"run: {plan.Name} ({planPath}), {selected.Count} of {plan.Suites.Count} suite(s) in the plan's order, planned ~{SuiteEstimate.Words(planned)}; output in {outDir}");
        Console.Out.Flush();
        File.Delete(Path.Combine(outDir, RunAbort.ReasonFileName));
        using var child = Process.Start(psi) ?? throw new ValidateException(ExitCodes.SetupError, $"cannot start {runner}");
        // Set when the runner exits, or when the watchdog gives up on one that cannot be killed (stuck in the kernel).
        using var done = new ManualResetEventSlim(false);
        child.EnableRaisingEvents = true;
        child.Exited += (_, _) =>
        {
            try { done.Set(); }
            catch (ObjectDisposedException) { } // a runner that outlived SIGKILL exits after we are done
        };
        if (child.HasExited) done.Set();
        var signal = 0;
        void Forward(PosixSignalContext c, int number)
        {
            // The suites runner stops measuring, stops loads, quiesces the devices and writes results.
            c.Cancel = true;
            signal = number;
            try { _ = Interop.Signals.Send(child.Id, Interop.Signals.SIGTERM); } catch (InvalidOperationException) { }
        }
        var events = new BlockingCollection<object>();
        var bySuite = selected.ToDictionary(s => s.Name);
        var ended = new ConcurrentDictionary<string, bool>();
        SuiteHang? hang = null;
        using (var log = new StreamWriter(logPath) { AutoFlush = true })
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Forward(c, 2)))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, 15)))
        {
            void Warn(string text)
            {
                lock (log) log.WriteLine($"validate: {text}");
                events.Add(new RunWarning(text));
            }
            var watchdog = new SuiteWatchdog(
                name => hangAfterS ?? (bySuite.TryGetValue(name, out var s) ? SuiteEstimate.HangAfterS(s) : SuiteEstimate.HangSlackS),
                (name, ran, limit) =>
                {
                    try
                    {
                        hang = StopHungRunner(child, outDir, planPath, name, ran, limit, hangAfterS is null, () => ended.ContainsKey(name), Warn);
                    }
                    catch
                    {
                        // A bug of ours: the runner must not outlive it (the exception is reported after the wait).
                        try { child.Kill(); } catch (InvalidOperationException) { }
                        throw;
                    }
                    finally
                    {
                        if (hang is { Unkillable: true }) done.Set();
                    }
                    return hang is not null;
                });
            void Seen(object ev)
            {
                if (ev is SuiteStarted st) watchdog.Started(st.Suite);
                else if (ev is SuiteEnded en)
                {
                    ended[en.Suite] = true;
                    watchdog.Ended(en.Suite);
                }
            }
            var readers = new[] { Read(child.StandardOutput, log, events, Seen), Read(child.StandardError, log, events, Seen) };
            var runConsole = RunConsole.Create(selected, verbose, TimeSpan.FromSeconds(progressEveryS));
            var pump = new Thread(() => runConsole.Pump(events)) { Name = "run-console" };
            pump.Start();
            done.Wait();
            // A process the runner left behind may hold its output open: read what is there, not until it closes.
            foreach (var r in readers) r.Join(TimeSpan.FromSeconds(5));
            watchdog.Dispose();
            if (watchdog.Fault is { } fault) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(fault);
            // A runner killed in a hung suite sent no end for it: the console says it, as the results do.
            if (hang is { } h && !ended.ContainsKey(h.Suite))
                events.Add(new SuiteEnded(h.Suite, selected.ToList().FindIndex(x => x.Name == h.Suite) + 1, selected.Count, "ERROR", h.Message, "", h.RanS));
            events.CompleteAdding();
            pump.Join();
            // Progress comes inside the windows, where this process should compile nothing (0 expected).
            lock (log) log.WriteLine($"validate: console: {runConsole.MethodsCompiledForProgress} method(s) compiled while showing progress");
        }

        var resultsPath = Path.Combine(outDir, RunSession.ResultsFileName);
        // The test platform's exit statuses: 0 all passed, 2 a test failed, 8 none ran (every suite skipped);
        // -1: a hung runner that could not be killed.
        var runnerExit = child.HasExited ? child.ExitCode : -1;
        var runnerFailed = !File.Exists(resultsPath) || runnerExit is not (0 or 2 or 8);
        // After a hang, the warnings above said what happened to the runner; its log's end adds nothing.
        if (runnerFailed && !verbose && hang is null) ShowTail(logPath, runnerExit);
        if (!File.Exists(resultsPath))
        {
            Console.Error.WriteLine($"validate: the suites runner exited with {runnerExit} and wrote no {RunSession.ResultsFileName}; its output is in {logPath}");
            return signal switch { 2 => ExitCodes.Interrupted, 15 => ExitCodes.Terminated, _ => ExitCodes.SetupError };
        }
        if (hang is { } hung) CompleteAfterHang(resultsPath, plan, selected, hung);
        var results = RunResults.Read(resultsPath);
        PrintSummary(results);
        if (lava) foreach (var line in Reports.Lava.LavaWriter.Lines(results)) Console.WriteLine(line);
        Console.WriteLine($"results: {resultsPath}");
        Console.WriteLine($"runner log: {logPath}");
        // Inside the virtual lab the run folder is a 9p share (no SQLite WAL there) and the guest is gone
        // after the run: the host records the run and renders its report (validate demo does; by hand:
        // validate report OUT). Under emulation a report's plots take the better part of a minute.
        if (Environment.GetEnvironmentVariable("VALIDATE_VLAB") == "1")
        {
            Console.WriteLine("history: not recorded inside the virtual lab (the host records the run)");
            Console.WriteLine($"report: rendered on the host, not under emulation (validate demo does it; by hand: ./validate report {outDir})");
            if (signal != 0) return signal == 2 ? ExitCodes.Interrupted : ExitCodes.Terminated;
            return ExitStatus(results, selected.Count, runnerFailed, runnerExit);
        }
        historyPath ??= Reports.History.HistoryStore.DefaultLocation(layout.Out);
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
        Console.WriteLine(historyPath is null ? "history: not recorded"
            : $"history: {(Reports.History.HistoryStore.IsPostgresLocation(historyPath) ? "PostgreSQL (VALIDATE_HISTORY)" : historyPath)}");
        Console.WriteLine($"report: {html}");
        Console.WriteLine($"junit: {junit}");
        if (signal != 0) return signal == 2 ? ExitCodes.Interrupted : ExitCodes.Terminated;
        return ExitStatus(results, selected.Count, runnerFailed, runnerExit);
    }

    /// <summary>The run's exit status from its results (a suite the runner could not even start shows as a missing result: a failure).</summary>
    private static int ExitStatus(RunResults results, int selected, bool runnerFailed, int runnerExit)
    {
        if (results.Suites.Count < selected || runnerFailed || runnerExit != 0 && results.Verdict == Verdict.Pass)
            return ExitCodes.Failed;
        return results.Verdict is Verdict.Pass or Verdict.Marginal ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>A suite taken as hung: its name, the seconds it ran, what its result says, and whether the runner outlived SIGKILL.</summary>
    private sealed record SuiteHang(string Suite, double RanS, string Message, string Where, bool Unkillable = false);

    /// <summary>How long a runner gets to die after SIGKILL before the run goes on without it (a thread stuck in the kernel).</summary>
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On the watchdog's thread: writes what the runner's threads are doing; unless the suite ended meanwhile
    /// (null: the run goes on), tells the runner why and stops it (SIGTERM: it stops its loads, closes its
    /// devices and writes its results), and kills it when it does not stop within three times the suite's
    /// limit, 5 to 60 s (its loads and card drivers die with it, PR_SET_PDEATHSIG; the kernel closes its
    /// devices, and valirq quiesces the card on that close).
    /// </summary>
    private static SuiteHang? StopHungRunner(Process child, string outDir, string planPath, string suite, double ranS, double limitS, bool defaultLimit,
        Func<bool> suiteEnded, Action<string> warn)
    {
        var why = $"hung: no end {ranS:0} s after its start (limit {limitS:0} s{(defaultLimit ? ": 10 times its planned time and 10 minutes" : ", --hang-after")})";
        var report = Path.Combine(outDir, $"hang-{suite}.txt");
        warn($"{suite} {why}; writing what the runner's threads are doing to {report}");
        var where = $"what the runner's threads were doing: {Path.GetFileName(report)}";
        try
        {
            HangReport.Write(report, child.Id, $"validate run {planPath}: suite {suite} {why}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn($"{report}: not written ({e.Message})");
            where = "what the runner's threads were doing: not written";
        }
        // Reading the threads takes a while (a minute at most): the suite may have ended, the runner exited, since.
        if (suiteEnded() || child.HasExited)
        {
            warn($"{suite} ended while its threads were being read: the run goes on ({report} stays)");
            return null;
        }
        var message = $"{why}; {where}";
        try
        {
            File.WriteAllText(Path.Combine(outDir, RunAbort.ReasonFileName), $"{suite} {why}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn($"{RunAbort.ReasonFileName}: not written ({e.Message}); the runner's suites will say SIGTERM");
        }
        _ = Interop.Signals.Send(child.Id, Interop.Signals.SIGTERM);
        // A runner that heard stops, analyses and writes what it has; under emulation a traced suite's analysis
        // takes tens of seconds. One that did not hear is not waited for past a minute.
        var grace = TimeSpan.FromSeconds(Math.Clamp(3 * limitS, 5, 60));
        warn($"stopping the runner (SIGTERM; SIGKILL if it has not exited within {grace.TotalSeconds:0} s)");
        if (child.WaitForExit(grace)) return new SuiteHang(suite, ranS, message, where);
        warn($"the runner did not stop within {grace.TotalSeconds:0} s of SIGTERM: killed (SIGKILL); the run's results are completed from here");
        try { child.Kill(); } catch (InvalidOperationException) { }
        message += "; the runner did not stop on SIGTERM and was killed";
        if (child.WaitForExit(KillWait)) return new SuiteHang(suite, ranS, message, where);
        // Only a thread in uninterruptible sleep (D: inside the kernel, a driver's bug) outlives SIGKILL.
        warn($"the runner (pid {child.Id}) is still there {KillWait.TotalSeconds:0} s after SIGKILL: a thread of it is stuck in the kernel (state D, see {report}); the run ends without it");
        return new SuiteHang(suite, ranS, message + $"; it outlived SIGKILL (a thread stuck in the kernel)", where, Unkillable: true);
    }

    /// <summary>
    /// After a hang: the hung suite ERROR with why (unless the runner stopped it and wrote its partial result,
    /// which then says the same), and every selected suite with no result "not run".
    /// </summary>
    private static void CompleteAfterHang(string resultsPath, Plan plan, IReadOnlyList<SuitePlan> selected, SuiteHang hang)
    {
        var results = RunResults.Read(resultsPath);
        foreach (var s in selected)
        {
            var r = results.Suites.FirstOrDefault(x => x.Name == s.Name);
            if (r is not null)
            {
                // The runner's own ERROR for it ("interrupted (SUITE hung: ...)"): keep its partial numbers, add where the threads are.
                if (s.Name == hang.Suite && r.Verdict == Verdict.Error) r.Message = $"{r.Message}; {hang.Where}";
                continue;
            }
            r = new SuiteResult
            {
                Name = s.Name, Backend = s.Backend.ToString().ToLowerInvariant(), Mode = s.Mode,
                Verdict = s.Name == hang.Suite ? Verdict.Error : Verdict.Skipped,
                Message = s.Name == hang.Suite ? hang.Message : $"not run: the run stopped after {hang.Suite} hung",
                Parameters = SuiteConfiguration.Parameters(plan, s),
            };
            r.ConfigHash = SuiteConfiguration.Hash(r.Parameters, results.Environment.KernelConfigHash, null);
            results.Suites.Add(r);
        }
        results.Suites.Sort((a, b) => IndexOf(a.Name).CompareTo(IndexOf(b.Name)));
        results.EndedUtc = DateTime.UtcNow;
        results.Verdict = RunResults.Combine(results.Suites.Select(x => x.Verdict));
        results.Write(resultsPath);

        int IndexOf(string name) => selected.ToList().FindIndex(x => x.Name == name) is var i and >= 0 ? i : int.MaxValue;
    }

    /// <summary>Reads one of the runner's streams: events to the console, everything else to the log (and with --verbose to the console).</summary>
    private static Thread Read(StreamReader from, StreamWriter log, BlockingCollection<object> events, Action<object> seen)
    {
        var t = new Thread(() =>
        {
            string? line;
            // After the runner exits and a grace period, the log closes and the console stops taking
            // events: a process it left behind that still writes is not heard (ObjectDisposed, completed).
            try
            {
                while ((line = from.ReadLine()) is not null)
                {
                    var (text, ev) = RunEventWire.Split(line);
                    if (text.Length > 0 || ev is null)
                    {
                        lock (log) log.WriteLine(text);
                        events.Add(new PlatformLine(text));
                    }
                    if (ev is null) continue;
                    if (ev is string note) lock (log) log.WriteLine($"validate: {note}");
                    seen(ev);
                    events.Add(ev);
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or IOException) { }
        }) { IsBackground = true, Name = "runner-output" };
        t.Start();
        return t;
    }

    /// <summary>The runner itself failed: the end of its log, where the reason is.</summary>
    private static void ShowTail(string logPath, int exitCode)
    {
        Console.Error.WriteLine($"validate: the suites runner failed (exit {exitCode}); the end of its output ({logPath}):");
        try
        {
            foreach (var l in File.ReadLines(logPath).Where(l => l.Length > 0).TakeLast(30)) Console.Error.WriteLine($"  {l}");
        }
        catch (IOException) { }
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
            // A traced suite: the trace's stages and the worst event in words (two lines at most; the report has the rest).
            if (s.Trace is { } trace)
                foreach (var line in Reports.Html.TraceSection.SummaryLines(trace)) Console.WriteLine($"{"",-30} {"",-9} {line}");
        }
        var releases = r.Suites.Where(s => s.Fault is { IsVfio: false }).Select(s => s.Fault!.Release).OfType<ReleaseCounts>().ToList();
        if (releases.Count > 0)
            Console.WriteLine($"valirq's releases over the fault suites: {releases.Sum(x => x.Quiesced)} quiesced, {releases.Sum(x => x.Reset)} reset, {releases.Sum(x => x.Neither)} neither, {releases.Sum(x => x.None)} none, {releases.Sum(x => x.Unobserved)} unobserved");
        Console.WriteLine($"verdict: {r.Verdict.ToString().ToUpperInvariant()} ({r.Suites.Count(s => s.Verdict == Verdict.Pass)} pass, {r.Suites.Count(s => s.Verdict == Verdict.Marginal)} marginal, {r.Suites.Count(s => s.Verdict is Verdict.Fail or Verdict.Error)} fail, {r.Suites.Count(s => s.Verdict == Verdict.Skipped)} skipped)");
    }
}
