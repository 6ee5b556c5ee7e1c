using System.Diagnostics;
using System.Text;

namespace Validate.TestSupport;

/// <summary>The result of one run of the built `validate` CLI.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:0.0} s\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the `validate` CLI as built in this checkout (artifacts/bin/Validate.Cli/release/validate).</summary>
public static class Cli
{
    public static RepositoryLayout Layout { get; } = RepositoryLayout.Find();

    public static string Path => System.IO.Path.Combine(Layout.BinOf("Validate.Cli"), "validate");

    public static CliRun Run(TimeSpan timeout, params string[] args) => Run(timeout, null, args);

    /// <summary>Runs the CLI; <paramref name="whileRunning"/> gets the process and may signal it.</summary>
    public static CliRun Run(TimeSpan timeout, Action<Process, StringBuilder>? whileRunning, params string[] args) => Run(timeout, whileRunning, null, args);

    /// <summary>Runs the CLI with extra environment variables.</summary>
    public static CliRun RunWith(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) => Run(timeout, null, environment, args);

    private static CliRun Run(TimeSpan timeout, Action<Process, StringBuilder>? whileRunning, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        whileRunning?.Invoke(p, stdout);
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"validate {string.Join(' ', args)} did not end within {timeout.TotalSeconds} s\n{stdout}\n{stderr}");
        }
        p.WaitForExit();
        lock (stdout) lock (stderr)
            return new CliRun(p.ExitCode, stdout.ToString(), stderr.ToString(), sw.Elapsed);
    }
}
