using System.CommandLine;
using Validate.Reports;

namespace Validate.Cli.Commands;

/// <summary>validate report RESULTS...: (re-)renders report.html and junit.xml from results files.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var results = new Argument<string[]>("results") { Description = "results.json files (or run folders holding one)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "write the reports here instead of beside each results file (one results file only)" };
        var history = new Option<string?>("--history") { Description = "also record the runs in this history store and show their trend" };
        var lava = new Option<bool>("--lava") { Description = "also print each run's LAVA test-case lines (<LAVA_SIGNAL_TESTCASE ...>), for a LAVA lab" };
        var cmd = new Command("report", "Render the HTML report and JUnit XML of runs from their results.json.") { results, outDir, history, lava };
        cmd.SetAction(p => Run(p.GetValue(results)!, p.GetValue(outDir), p.GetValue(history), p.GetValue(lava)));
        return cmd;
    }

    private static int Run(string[] inputs, string? outDir, string? history, bool lava)
    {
        if (outDir is not null && inputs.Length > 1)
            throw new ValidateException(ExitCodes.Usage, "--out takes one results file; without it each report goes beside its results.json");
        foreach (var input in inputs)
        {
            var path = Directory.Exists(input) ? Path.Combine(input, Engine.RunSession.ResultsFileName) : input;
            if (!File.Exists(path))
                throw new ValidateException(ExitCodes.InputError, $"{input}: no results file there; give a results.json or a run folder that holds one");
            var (html, junit) = ReportWriter.Write(path, outDir, history);
            Console.WriteLine($"report: {html}");
            Console.WriteLine($"junit: {junit}");
            if (lava) foreach (var line in Reports.Lava.LavaWriter.Lines(Results.RunResults.Read(path))) Console.WriteLine(line);
        }
        return ExitCodes.Ok;
    }
}
