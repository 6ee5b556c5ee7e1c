using Validate.Reports.Html;
using Validate.Reports.Junit;
using Validate.Results;

namespace Validate.Reports;

/// <summary>Writes the run's report.html and junit.xml beside its results.json (or into another folder).</summary>
public static class ReportWriter
{
    /// <param name="historyPath">the history store: the run is recorded there and the report shows its trend (null: no history)</param>
    public static (string Html, string Junit) Write(string resultsPath, string? outDir = null, string? historyPath = null)
    {
        var r = RunResults.Read(resultsPath);
        outDir ??= Path.GetDirectoryName(Path.GetFullPath(resultsPath))!;
        Directory.CreateDirectory(outDir);
        History.HistoryView? view = null;
        if (historyPath is not null)
        {
            using var store = History.HistoryStore.Open(historyPath);
            store.Record(r, Path.GetFullPath(resultsPath));
            view = store.View(r.Plan.Name, r.Environment.Hostname, r.RunId);
        }
        var html = Path.Combine(outDir, HtmlReport.FileName);
        var tmp = html + ".tmp";
        File.WriteAllText(tmp, HtmlReport.Render(r, resultsPath, view));
        File.Move(tmp, html, overwrite: true);
        var junit = Path.Combine(outDir, JunitWriter.FileName);
        JunitWriter.Write(r, junit);
        return (html, junit);
    }
}
