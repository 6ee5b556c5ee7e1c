using System.CommandLine;
using System.Diagnostics;
using Validate.Selftest;

namespace Validate.Cli.Commands;

/// <summary>
/// validate selftest: every test of the project, in phases, each counted from its own report
/// (TRX for the NUnit phases, TAP for the kernel module's selftests), closing with "N passed, N failed".
/// </summary>
internal static class SelftestCommand
{
    private sealed record Phase(string Name, string Title, Func<string, (TestCounts Counts, IReadOnlyList<string> Failures)?> Run);

    public static Command Create()
    {
        var only = new Option<string[]>("--phase")
        {
            Description = "run only these phases: unit (host, unprivileged), lab (virtual lab), kmod (valirq selftests in the lab)",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("selftest", "Run all of the project's tests: unit tests on the host, then the tests in the virtual lab.") { only };
        cmd.SetAction(p => Run(p.GetValue(only) ?? []));
        return cmd;
    }

    private static int Run(string[] only)
    {
        Root.Require("validate selftest");
        var layout = RepositoryLayout.Find();
        var phases = new List<Phase>
        {
            new("unit", "unit tests (host, unprivileged)", dir => RunNUnit(layout, "Validate.UnitTests", dir, unprivileged: true)),
            new("lab", "lab tests (virtual lab)", dir => RunNUnit(layout, "Validate.LabTests", dir, unprivileged: false)),
        };
        if (File.Exists(Path.Combine(layout.Kmod, "Makefile")))
            phases.Add(new("kmod", "valirq selftests (TAP, virtual lab)", dir => RunKmodCheck(layout, dir)));
        foreach (var name in only)
        {
            if (phases.All(p => p.Name != name))
                throw new ValidateException(ExitCodes.Usage, $"--phase {name}: choose from {string.Join(", ", phases.Select(p => p.Name))}");
        }

        var resultsDir = Path.Combine(layout.Out, "selftest", DateTime.Now.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(resultsDir);
        var total = new TestCounts();
        var lines = new List<string>();
        var sw = Stopwatch.StartNew();
        foreach (var phase in phases.Where(p => only.Length == 0 || only.Contains(p.Name)))
        {
            Console.WriteLine($"==> selftest: {phase.Title}");
            var phaseSw = Stopwatch.StartNew();
            var outcome = phase.Run(resultsDir);
            if (outcome is null)
            {
                // A phase that produced no report is a failure, never a silent zero.
                outcome = (new TestCounts(0, 1, 0), [$"{phase.Name}: no test report was produced"]);
                Console.WriteLine($"selftest: {phase.Name}: no test report was produced; counted as 1 failure");
            }
            var (counts, failures) = outcome.Value;
            total += counts;
            lines.Add($"  {phase.Title,-40} {counts.Summary()}  ({phaseSw.Elapsed.TotalSeconds:0} s)");
            // Which tests failed, in the last lines, where a CI log's reader looks (the first 10 of them).
            lines.AddRange(failures.Take(10).Select(f => $"    failed: {f}"));
            if (failures.Count > 10) lines.Add($"    ... and {failures.Count - 10} more (in {resultsDir})");
        }
        Console.WriteLine();
        Console.WriteLine($"selftest results in {resultsDir} ({sw.Elapsed.TotalMinutes:0.0} min):");
        lines.ForEach(Console.WriteLine);
        Console.WriteLine(total.Summary());
        return total.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static (TestCounts, IReadOnlyList<string>)? RunNUnit(RepositoryLayout layout, string project, string resultsDir, bool unprivileged)
    {
        var exe = Path.Combine(layout.BinOf(project), project);
        if (!File.Exists(exe))
            throw new ValidateException(ExitCodes.SetupError, $"{exe} is not built; run ./validate (it builds) or dotnet build -c Release");
        var trxName = $"{project}.trx";
        var phaseDir = Path.Combine(resultsDir, project);
        Directory.CreateDirectory(phaseDir);
        var psi = new ProcessStartInfo { UseShellExecute = false };
        // Files tests keep for a person to look at (the report screenshot): printed paths under here.
        psi.Environment["VALIDATE_TEST_ARTIFACTS"] = phaseDir;
        var args = new List<string> { "--report-trx", "--report-trx-filename", trxName, "--results-directory", phaseDir, "--no-progress" };

        if (unprivileged && CanRunAsNobody(exe))
        {
            // Unit tests must not need root: prove it by running them as nobody.
            File.SetUnixFileMode(phaseDir, (UnixFileMode)0x1ff);
            psi.FileName = "setpriv";
            psi.ArgumentList.Add("--reuid=65534");
            psi.ArgumentList.Add("--regid=65534");
            psi.ArgumentList.Add("--clear-groups");
            psi.ArgumentList.Add(exe);
            psi.Environment["HOME"] = phaseDir;
            psi.Environment["DOTNET_CLI_HOME"] = phaseDir;
        }
        else
        {
            if (unprivileged)
                Console.WriteLine($"selftest: {exe} is not readable by user nobody; running unit tests as root instead");
            psi.FileName = exe;
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
            p.WaitForExit();
        var trx = Path.Combine(phaseDir, trxName);
        return File.Exists(trx) ? TestCounts.ReadTrx(trx) : null;
    }

    private static bool CanRunAsNobody(string exe)
    {
        var (status, _, _) = ProcessRunner.Capture("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-x", exe, "-a", "-r", exe + ".dll"], TimeSpan.FromSeconds(10));
        return status == 0;
    }

    private static (TestCounts, IReadOnlyList<string>)? RunKmodCheck(RepositoryLayout layout, string resultsDir)
    {
        var tap = Path.Combine(resultsDir, "kmod-selftests.tap");
        var psi = new ProcessStartInfo("make") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-s");
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(layout.Kmod);
        psi.ArgumentList.Add("check");
        psi.Environment["VALIDATE_ROOT"] = layout.Root;
        using var p = Process.Start(psi)!;
        using (var w = new StreamWriter(tap))
        {
            string? line;
            while ((line = p.StandardOutput.ReadLine()) is not null)
            {
                Console.WriteLine(line);
                w.WriteLine(line);
            }
        }
        p.WaitForExit();
        var (counts, read) = TestCounts.ReadTap(File.ReadLines(tap));
        var failures = read.ToList();
        // make check failing with no failed test counted (lab failure, kernel log finding) is one failure.
        if (p.ExitCode != 0 && counts.Failed == 0)
        {
            counts += new TestCounts(0, 1, 0);
            failures.Add($"make check exited {p.ExitCode} with no failed test counted (see {tap})");
        }
        return counts.Total == 0 ? null : (counts, failures);
    }
}
