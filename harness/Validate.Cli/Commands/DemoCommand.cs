using System.CommandLine;
using Validate.Lab;
using Validate.Results;

namespace Validate.Cli.Commands;

/// <summary>
/// validate demo [--plan FILE] [--topology NAME]: the main job on the virtual lab. Boots a topology that
/// holds the plan's card (and the neighbour card its shared-line suites need) with the cards bound to
/// valirq, runs the plan end to end inside, and prints where the results are. Without --plan:
/// testplans/qemu/edu.json on shared-intx (every valirq mode, uio, timer, idle and under load; then the
/// fault suites on MSI and on the shared line).
/// </summary>
internal static class DemoCommand
{
    public const string Plan = "testplans/qemu/edu.json";

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "interrupts per suite (overrides the plan's suiteDefaults.count)", DefaultValueFactory = _ => 0 };
        var plan = new Option<string>("--plan") { Description = $"the plan to run (default {Plan})", DefaultValueFactory = _ => Plan };
        var topology = new Option<string?>("--topology")
        {
            Description = "the lab topology to boot (default: the one of rt-setup/vlab/topologies.json that holds the plan's card, and its neighbour for shared-line suites)",
        };
        var cmd = new Command("demo", "Run a plan in the virtual lab (cards bound to valirq) and print where the results are.") { plan, topology, count };
        cmd.SetAction(p => Run(p.GetValue(plan)!, p.GetValue(topology), p.GetValue(count)));
        return cmd;
    }

    private static int Run(string planPath, string? topologyName, int count)
    {
        if (count < 0) throw new ValidateException(ExitCodes.Usage, $"--count {count}: give a number of interrupts above 0");
        Root.Require("validate demo");
        var layout = RepositoryLayout.Find();
        var planFull = Path.GetFullPath(planPath, layout.Root);
        if (!File.Exists(planFull)) planFull = Path.GetFullPath(planPath);
        var loaded = Plans.PlanLoader.Load(planFull, cpuCount: 2);
        var cli = Path.Combine(layout.BinOf("Validate.Cli"), "validate");
        var runDir = Path.Combine(layout.Out, "demo", $"{DateTime.Now:yyyyMMdd-HHmmss}");
        var outDir = Path.Combine(runDir, "run");
        var topology = topologyName is null ? TopologyCatalog.Default.ForPlan(loaded) : Topology.Get(topologyName);
        Console.WriteLine($"demo: virtual lab, topology {topology.Name} ({topology.Description}), cards bound to valirq; plan {Path.GetRelativePath(layout.Root, planFull)}");
        List<string> command = [cli, "run", planFull, "--out", outDir];
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
