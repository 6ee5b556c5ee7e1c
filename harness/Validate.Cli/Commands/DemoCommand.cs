using System.CommandLine;
using Validate.Lab;
using Validate.Results;

namespace Validate.Cli.Commands;

/// <summary>
/// validate demo: the main job on the virtual lab. Boots the shared-INTx topology (two edu cards on one
/// line, MSI available) with the cards bound to valirq, runs testplans/qemu/edu.json end to end inside
/// (every valirq mode, uio, timer, idle and under load; then the fault suites: the edu driver killed,
/// hung, unbound, reloaded under and revoked, on MSI and on the shared line), and prints where the results are.
/// </summary>
internal static class DemoCommand
{
    public const string Plan = "testplans/qemu/edu.json";

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "interrupts per suite (the plan says 2000)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("demo", $"Run {Plan} in the virtual lab (shared-intx topology, cards bound to valirq) and print where the results are.") { count };
        cmd.SetAction(p => Run(p.GetValue(count)));
        return cmd;
    }

    private static int Run(int count)
    {
        if (count < 0) throw new ValidateException(ExitCodes.Usage, $"--count {count}: give a number of interrupts above 0");
        Root.Require("validate demo");
        var layout = RepositoryLayout.Find();
        var cli = Path.Combine(layout.BinOf("Validate.Cli"), "validate");
        var runDir = Path.Combine(layout.Out, "demo", $"{DateTime.Now:yyyyMMdd-HHmmss}");
        var outDir = Path.Combine(runDir, "run");
        var topology = Topology.Get("shared-intx");
        Console.WriteLine($"demo: virtual lab, topology {topology.Name} ({topology.Description}), cards bound to valirq; plan {Plan}");
        List<string> command = [cli, "run", Path.Combine(layout.Root, Plan), "--out", outDir];
        if (count > 0) command.AddRange(["--set", $"suiteDefaults:count={count}"]);
        var status = VlabCommand.Run(topology, 1800, runDir, command, bind: "valirq");
        var results = Path.Combine(outDir, Engine.RunSession.ResultsFileName);
        if (!File.Exists(results))
        {
            Console.Error.WriteLine($"demo: no results were written (status {status}); lab logs in {runDir}");
            return status == 0 ? ExitCodes.LabFailure : status;
        }
        var r = RunResults.Read(results);
        Console.WriteLine();
        Console.WriteLine($"demo: {r.Verdict.ToString().ToUpperInvariant()}: {r.Suites.Count} suites measured in the virtual lab (emulated: absolute latencies say nothing about hardware)");
        Console.WriteLine($"demo: results: {results}");
        Console.WriteLine($"demo: raw samples: {Path.Combine(outDir, "samples")}; guest kernel log: {Path.Combine(runDir, "kernel.log")}");
        var history = Reports.History.HistoryStore.DefaultLocation(layout.Out);
        var (html, junit) = Reports.ReportWriter.Write(results, historyPath: history);
        Console.WriteLine($"demo: history: {(Reports.History.HistoryStore.IsPostgresLocation(history) ? "PostgreSQL (VALIDATE_HISTORY)" : history)} (trend and regressions in the report)");
        Console.WriteLine($"demo: JUnit XML: {junit}");
        Console.WriteLine($"demo: report: {html}");
        return status;
    }
}
