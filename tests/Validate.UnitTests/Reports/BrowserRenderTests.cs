using System.Diagnostics;
using NUnit.Framework;
using SkiaSharp;
using Validate.Fixtures.Requirements;
using Validate.Reports.Html;

namespace Validate.UnitTests.Reports;

/// <summary>
/// The report as a person sees it: rendered by headless Chromium from the file alone (no network), the
/// screenshot kept as a test attachment (its path is printed), and checked for what must be there: the
/// tables and the plots, drawn.
/// </summary>
[RequiresProgram("chromium", "chromium")]
public class BrowserRenderTests
{
    [Test]
    public void Headless_chromium_shows_the_reports_tables_and_plots()
    {
        var dir = Directory.CreateTempSubdirectory("validate-report-browser-");
        var html = Path.Combine(dir.FullName, HtmlReport.FileName);
        File.WriteAllText(html, HtmlReport.Render(ReportTests.Sample()));
        // Kept for CI: validate selftest points VALIDATE_TEST_ARTIFACTS at its results folder.
        var artifacts = Environment.GetEnvironmentVariable("VALIDATE_TEST_ARTIFACTS") is { Length: > 0 } a ? a : dir.FullName;
        var shot = Path.Combine(artifacts, "report-screenshot.png");

        var dom = Chromium(dir.FullName, "--dump-dom", $"file://{html}");
        Assert.That(dom, Does.Contain("<table").And.Contain("msi-cpu").And.Contain("FAIL"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(dom, "<img "), Is.EqualTo(6));

        Chromium(dir.FullName, $"--screenshot={shot}", "--window-size=1100,2600", $"file://{html}");
        TestContext.AddTestAttachment(shot, "the report as headless Chromium renders it");
        TestContext.Out.WriteLine($"screenshot: {shot}");
        using var bitmap = SKBitmap.Decode(shot);
        Assert.That(bitmap, Is.Not.Null, "a PNG screenshot");
        // The plots' first series colour (#1f77b4) and the FAIL badge's red are on the page: drawn, not broken images.
        Assert.That(CountNear(bitmap, new SKColor(0x1f, 0x77, 0xb4)), Is.GreaterThan(200), "plot lines drawn");
        Assert.That(CountNear(bitmap, new SKColor(0xc6, 0x28, 0x28)), Is.GreaterThan(50), "FAIL badge drawn");
        Directory.Delete(Path.Combine(dir.FullName, "profile"), true);
    }

    private static int CountNear(SKBitmap b, SKColor c)
    {
        int n = 0;
        for (int y = 0; y < b.Height; y += 1)
            for (int x = 0; x < b.Width; x += 1)
            {
                var p = b.GetPixel(x, y);
                if (Math.Abs(p.Red - c.Red) < 12 && Math.Abs(p.Green - c.Green) < 12 && Math.Abs(p.Blue - c.Blue) < 12) n++;
            }
        return n;
    }

    private static string Chromium(string workDir, params string[] args)
    {
        // As the machine doc says: no sandbox as root, no background networking on a closed network.
        var psi = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={Path.Combine(workDir, "profile")}" }.Concat(args))
            psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = workDir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(true);
            Assert.Fail($"chromium {string.Join(' ', args)} did not finish in 90 s");
        }
        Assert.That(p.ExitCode, Is.Zero, stderr.Result);
        return stdout.Result;
    }
}
