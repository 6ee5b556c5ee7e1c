using Validate.Reports.Html;
using Validate.Reports.Junit;
using Validate.Results;

namespace Validate.Reports;

/// <summary>Writes the run's report.html and junit.xml beside its results.json (or into another folder).</summary>
public static class ReportWriter
{
    public static (string Html, string Junit) Write(string resultsPath, string? outDir = null)
    {
        var r = RunResults.Read(resultsPath);
        outDir ??= Path.GetDirectoryName(Path.GetFullPath(resultsPath))!;
        Directory.CreateDirectory(outDir);
        var html = Path.Combine(outDir, HtmlReport.FileName);
        var tmp = html + ".tmp";
        File.WriteAllText(tmp, HtmlReport.Render(r, resultsPath));
        File.Move(tmp, html, overwrite: true);
        var junit = Path.Combine(outDir, JunitWriter.FileName);
        JunitWriter.Write(r, junit);
        return (html, junit);
    }
}
