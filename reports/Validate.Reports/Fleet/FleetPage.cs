using System.Globalization;
using System.Net;
using System.Text;
using Validate.Reports.History;

namespace Validate.Reports.Fleet;

/// <summary>
/// The lab's page (in the manner of the OSADL QA farm's): machines (and their plans) down, nights across,
/// each cell the night's verdict with its worst interrupt latency and worst recovery, linking to that
/// night's report. One self-contained HTML file, no script; every string escaped.
/// </summary>
public static class FleetPage
{
    private static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    public static string Render(IReadOnlyList<FleetCell> cells, string store)
    {
        var nights = cells.Select(c => c.Night).Distinct().Order().ToList();
        var rows = cells.GroupBy(c => (c.Host, c.Plan)).OrderBy(g => g.Key.Host, StringComparer.Ordinal).ThenBy(g => g.Key.Plan, StringComparer.Ordinal).ToList();
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Validate: the lab</title><style>");
        h.Append("body{font-family:'DejaVu Sans',sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3em .5em;font-size:.9em;vertical-align:top}");
        h.Append("th{background:#f3f3f3}.pass{background:#dff0d8}.marginal{background:#fcf8e3}.fail{background:#f2dede}.error{background:#f2dede}.none{color:#999}.small{font-size:.8em;color:#555}a{color:inherit}");
        h.Append("</style></head><body>");
        h.Append($"<h1>Validate: {rows.Select(r => r.Key.Host).Distinct().Count()} machine(s), {nights.Count} night(s)</h1>");
        h.Append($"<p class=\"small\">From the history store {E(store)}. Each cell: the newest run of that night (UTC), its verdict, the worst interrupt latency (largest p99 / max of a latency suite's total) and the worst recovery of a fault suite; the cell links to the night's report. Runs in the virtual lab are marked (emulated).</p>");
        h.Append("<table><tr><th>machine</th><th>plan</th>");
        foreach (var n in nights) h.Append($"<th>{n:yyyy-MM-dd}</th>");
        h.Append("</tr>");
        foreach (var row in rows)
        {
            h.Append($"<tr><td>{E(row.Key.Host)}</td><td>{E(row.Key.Plan)}</td>");
            foreach (var n in nights)
            {
                var c = row.FirstOrDefault(x => x.Night == n);
                if (c is null) { h.Append("<td class=\"none\">no run</td>"); continue; }
                var text = new StringBuilder($"<b>{E(c.Verdict.ToUpperInvariant())}</b>");
                if (c.WorstP99Ns is { } p99) text.Append($"<br>p99 {E(Duration.Format(p99))}, max {E(Duration.Format(c.WorstMaxNs ?? 0))}");
                if (c.WorstRecoveryNs is { } rec) text.Append($"<br>recovery max {E(Duration.Format(rec))}");
                if (c.VirtualLab) text.Append("<br><span class=\"small\">virtual lab (emulated)</span>");
                text.Append($"<br><span class=\"small\">{c.StartedUtc.ToString("HH:mm", CultureInfo.InvariantCulture)} UTC</span>");
                var cell = c.ReportPath is { } link ? $"<a href=\"{E(new Uri(link, UriKind.RelativeOrAbsolute).IsAbsoluteUri ? new Uri(link).AbsoluteUri : link)}\">{text}</a>" : text.ToString();
                h.Append($"<td class=\"{E(c.Verdict)}\">{cell}</td>");
            }
            h.Append("</tr>");
        }
        h.Append("</table></body></html>\n");
        return h.ToString();
    }
}
