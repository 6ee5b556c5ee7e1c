using System.Diagnostics;

namespace Validate.TestSupport;

/// <summary>
/// A real PostgreSQL server for a test, from Debian's postgresql package: initdb into a temporary folder,
/// listening only on a Unix socket in that folder (no TCP port, nothing reachable from outside), trust
/// authentication for its own user, stopped and deleted on dispose. PostgreSQL refuses to run as root, so
/// under root it runs as user nobody.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asNobody;

    public string ConnectionString { get; }

    /// <summary>The folder with initdb and pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    public PostgresServer()
    {
        _bin = FindBin() ?? throw new InvalidOperationException("PostgreSQL is not installed; apt-get install postgresql");
        _asNobody = Environment.IsPrivilegedProcess;
        _dir = Directory.CreateTempSubdirectory("validate-pg-").FullName;
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1ff);
        Run("initdb", "-D", Path.Combine(_dir, "data"), "-U", "validate", "--auth=trust", "--no-sync", "-E", "UTF8");
        Run("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
            "-o", $"-k {_dir} -c listen_addresses='' -p 55432 -c fsync=off", "start");
        ConnectionString = $"Host={_dir};Port=55432;Username=validate;Database=postgres;Pooling=false";
    }

    private void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(_asNobody ? "setpriv" : Path.Combine(_bin, tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        if (_asNobody)
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", Path.Combine(_bin, tool) }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)) || p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({(p.HasExited ? p.ExitCode : -1)}): {err.Result} {output}");
    }

    public void Dispose()
    {
        try { Run("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
