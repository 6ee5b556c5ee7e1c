using System.Globalization;
using System.Text.Json;
using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Validate.Analysis;
using Validate.Results;

namespace Validate.Reports.History;

/// <summary>One night of one suite's stage, as the history keeps it.</summary>
/// <param name="ConfigHash">the suite's configuration that night (<see cref="SuiteResult.ConfigHash"/>; null for runs recorded before it was kept)</param>
public sealed record StagePoint(string RunId, DateTime StartedUtc, string Host, long P50Ns, long P99Ns, long MaxNs, string Verdict, string? ConfigHash = null);

/// <summary>A night a suite was measured with another configuration than the night before: what changed.</summary>
public sealed record ConfigChange(string Suite, string RunId, DateTime StartedUtc, IReadOnlyList<string> What);

/// <summary>A stage of tonight's run that is worse than the nights before, and why it counts.</summary>
public sealed record Regression(string Suite, string Stage, string Why);

/// <summary>One machine's run of a plan on one night, as the fleet page shows it.</summary>
public sealed record FleetCell(string Host, string Plan, DateOnly Night, string RunId, DateTime StartedUtc, string Verdict, string? ResultsPath,
    bool VirtualLab, long? WorstP99Ns, long? WorstMaxNs, long? WorstRecoveryNs)
{
    /// <summary>The night's HTML report, beside its results file (validate run writes both there).</summary>
    public string? ReportPath => ResultsPath is null ? null : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(ResultsPath) ?? "", "report.html");
}

/// <summary>What the history says about one run: trends, regressions, what changed in the environment.</summary>
public sealed record HistoryView(
    IReadOnlyDictionary<(string Suite, string Stage), IReadOnlyList<StagePoint>> Series,
    IReadOnlyList<Regression> Regressions,
    IReadOnlyList<string> EnvironmentChanges,
    string? PreviousRunId,
    IReadOnlyList<ConfigChange>? ConfigChanges = null)
{
    /// <summary>Configuration changes within the view's runs, oldest first: each splits its suite's trend, and no regression is judged across one.</summary>
    public IReadOnlyList<ConfigChange> Changes => ConfigChanges ?? [];
}

/// <summary>
/// Every run's results, night after night: in SQLite (a file; WAL journal) by default, or in a lab's
/// shared PostgreSQL when the store is given as a connection string ("Host=...;Database=..." or a
/// postgres:// URI). Each run is written in one transaction, so a crash mid-write loses nothing that was
/// committed and leaves nothing half-written. Schema changes are numbered migrations (the same SQL on
/// both), their number kept in a schema_version table. Runs are keyed by id and host, so many machines
/// share one PostgreSQL.
/// </summary>
public sealed class HistoryStore : IDisposable
{
    /// <summary>Nights of history needed before a regression is judged.</summary>
    public const int MinNights = RegressionVerdict.MinNights;

    private static readonly string[] Migrations =
    [
        // 1: runs and their per-stage statistics.
        """
        CREATE TABLE runs (
          run_id TEXT PRIMARY KEY, started_utc TEXT NOT NULL, host TEXT NOT NULL, plan TEXT NOT NULL,
          kernel TEXT NOT NULL, preemption TEXT NOT NULL, virtual_lab BIGINT NOT NULL, verdict TEXT NOT NULL,
          environment TEXT NOT NULL, results_path TEXT);
        CREATE INDEX runs_plan_host ON runs(plan, host, started_utc);
        CREATE TABLE stages (
          run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, suite TEXT NOT NULL, stage TEXT NOT NULL,
          verdict TEXT NOT NULL, count BIGINT NOT NULL, p50_ns BIGINT NOT NULL, p99_ns BIGINT NOT NULL,
          p999_ns BIGINT NOT NULL, max_ns BIGINT NOT NULL, PRIMARY KEY (run_id, suite, stage));
        """,
        // 2: each suite's configuration (resolved parameters and their hash): like is compared with like.
        """
        CREATE TABLE suites (
          run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, suite TEXT NOT NULL,
          config_hash TEXT, parameters TEXT, PRIMARY KEY (run_id, suite));
        """,
    ];

    private readonly DbConnection _db;

    /// <summary>Where the store is: a file path, or the PostgreSQL connection string without its password.</summary>
    public string Path { get; }
    public bool IsPostgres { get; }

    private HistoryStore(string path, DbConnection db, bool postgres)
    {
        Path = path;
        _db = db;
        IsPostgres = postgres;
    }

    /// <summary>The store runs are recorded in unless told otherwise: VALIDATE_HISTORY (a path or a PostgreSQL connection string), else OUT/history.sqlite.</summary>
    public static string DefaultLocation(string outDir) =>
        Environment.GetEnvironmentVariable("VALIDATE_HISTORY") is { Length: > 0 } h ? h : System.IO.Path.Combine(outDir, "history.sqlite");

    /// <summary>A PostgreSQL connection string or URI rather than a file path.</summary>
    public static bool IsPostgresLocation(string location) =>
        location.StartsWith("postgres://", StringComparison.Ordinal) || location.StartsWith("postgresql://", StringComparison.Ordinal)
        || location.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public static HistoryStore Open(string location)
    {
        DbConnection db;
        bool postgres = IsPostgresLocation(location);
        string shown = location;
        try
        {
            if (postgres)
            {
                var cs = location.Contains("://", StringComparison.Ordinal) ? FromUri(location) : location;
                var b = new NpgsqlConnectionStringBuilder(cs);
                shown = $"postgresql {b.Host}:{b.Port}/{b.Database}";
                db = new NpgsqlConnection(cs);
                db.Open();
            }
            else
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(location))!);
                db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = location, Pooling = false }.ToString());
                db.Open();
                // Another program's SQLite file (its tables, no version of ours): refused before anything is written to it.
                if (Convert.ToInt64(Scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"), CultureInfo.InvariantCulture) == 0
                    && Convert.ToInt64(Scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"), CultureInfo.InvariantCulture) > 0)
                {
                    db.Dispose();
                    throw NotAStore(shown, "it holds another program's tables");
                }
                Exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;");
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            // SQLITE_NOTADB, SQLITE_CORRUPT: the file is the mistake, not the machine.
            throw NotAStore(shown, e.Message);
        }
        catch (DbException e)
        {
            throw new ValidateException(ExitCodes.SetupError, $"history store {shown}: {e.Message}");
        }
        int version;
        try
        {
            Exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
            version = Version(db);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            db.Dispose();
            throw NotAStore(shown, e.Message);
        }
        // A database that has a version but not our tables (cut short by hand): refused, never migrated into.
        if (version > 0 && !HasTables(db, postgres))
        {
            db.Dispose();
            throw NotAStore(shown, "it has a schema_version but not the runs, stages and suites tables");
        }

        if (version > Migrations.Length)
        {
            db.Dispose();
            throw new ValidateException(ExitCodes.InputError, $"{shown}: history schema {version} is newer than this tool ({Migrations.Length}); use a newer validate");
        }
        for (int v = version; v < Migrations.Length; v++)
        {
            using var tx = db.BeginTransaction();
            Exec(db, Migrations[v], tx);
            Exec(db, "INSERT INTO schema_version VALUES (@v)", tx, ("@v", (long)(v + 1)));
            tx.Commit();
        }
        return new HistoryStore(shown, db, postgres);
    }

    private static ValidateException NotAStore(string shown, string why) =>
        new(ExitCodes.InputError, $"{shown}: not a Validate history store ({why.TrimEnd('.')}); give the store validate run records in (--history, VALIDATE_HISTORY), or move this file away to start a new one");

    /// <summary>Whether the tables of the migrations so far are there.</summary>
    private static bool HasTables(DbConnection db, bool postgres)
    {
        var version = Version(db);
        string[] wanted = version >= 2 ? ["runs", "stages", "suites"] : ["runs", "stages"];
        var sql = postgres
            ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @t"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @t";
        return wanted.All(t => Convert.ToInt64(Scalar(db, sql, ("@t", t)), CultureInfo.InvariantCulture) == 1);
    }

    /// <summary>postgres://user:password@host:port/database as an Npgsql connection string.</summary>
    private static string FromUri(string uri)
    {
        var u = new Uri(uri);
        var b = new NpgsqlConnectionStringBuilder { Host = u.Host, Database = u.AbsolutePath.Trim('/') };
        if (u.Port > 0) b.Port = u.Port;
        if (u.UserInfo.Length > 0)
        {
            var parts = u.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        return b.ToString();
    }

    /// <summary>Records a run (again: a re-recorded run replaces itself).</summary>
    public void Record(RunResults r, string? resultsPath)
    {
        using var tx = _db.BeginTransaction();
        Exec(_db, "DELETE FROM runs WHERE run_id = @id", tx, ("@id", r.RunId));
        Exec(_db, """
            INSERT INTO runs VALUES (@id, @started, @host, @plan, @kernel, @preemption, @lab, @verdict, @env, @path)
            """, tx, ("@id", r.RunId), ("@started", r.StartedUtc.ToString("O", CultureInfo.InvariantCulture)), ("@host", r.Environment.Hostname),
            ("@plan", r.Plan.Name), ("@kernel", r.Environment.KernelRelease), ("@preemption", r.Environment.PreemptionModel),
            ("@lab", r.Environment.VirtualLab ? 1L : 0L), ("@verdict", r.Verdict.ToString().ToLowerInvariant()),
            ("@env", JsonSerializer.Serialize(r.Environment, RunResults.Json)), ("@path", resultsPath));
        foreach (var s in r.Suites)
            Exec(_db, "INSERT INTO suites VALUES (@id, @suite, @hash, @params)", tx, ("@id", r.RunId), ("@suite", s.Name), ("@hash", s.ConfigHash),
                ("@params", s.Parameters is null ? null : JsonSerializer.Serialize(s.Parameters, RunResults.Json)));
        foreach (var s in r.Suites)
            foreach (var st in s.Stages)
                Exec(_db, "INSERT INTO stages VALUES (@id, @suite, @stage, @verdict, @count, @p50, @p99, @p999, @max)", tx,
                    ("@id", r.RunId), ("@suite", s.Name), ("@stage", st.Name), ("@verdict", s.Verdict.ToString().ToLowerInvariant()),
                    ("@count", st.Count), ("@p50", st.P50Ns), ("@p99", st.P99Ns), ("@p999", st.P999Ns), ("@max", st.MaxNs));
        tx.Commit();
    }

    /// <summary>
    /// The fleet: for each machine and plan, the newest run of each of the last <paramref name="nights"/>
    /// nights (UTC dates) that have runs, with its verdict, its worst interrupt latency (the largest p99
    /// and max of a latency suite's last stage) and its worst recovery (fault suites' total).
    /// </summary>
    public IReadOnlyList<FleetCell> Fleet(int nights = 14)
    {
        var cells = new List<FleetCell>();
        using (var cmd = Command(_db, """
            SELECT r.run_id, r.started_utc, r.host, r.plan, r.verdict, r.results_path, r.virtual_lab,
              (SELECT MAX(s.p99_ns) FROM stages s WHERE s.run_id = r.run_id AND s.stage = 'total'
                 AND s.suite NOT IN (SELECT f.suite FROM stages f WHERE f.run_id = r.run_id AND f.stage = 'first-irq')),
              (SELECT MAX(s.max_ns) FROM stages s WHERE s.run_id = r.run_id AND s.stage = 'total'
                 AND s.suite NOT IN (SELECT f.suite FROM stages f WHERE f.run_id = r.run_id AND f.stage = 'first-irq')),
              (SELECT MAX(s.max_ns) FROM stages s WHERE s.run_id = r.run_id AND s.stage = 'total'
                 AND s.suite IN (SELECT f.suite FROM stages f WHERE f.run_id = r.run_id AND f.stage = 'first-irq'))
            FROM runs r ORDER BY r.host, r.plan, r.started_utc
            """, null))
        using (var rd = cmd.ExecuteReader())
        {
            while (rd.Read())
            {
                long? L(int i) => rd.IsDBNull(i) ? null : Convert.ToInt64(rd.GetValue(i), CultureInfo.InvariantCulture);
                var started = DateTime.Parse(rd.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                cells.Add(new FleetCell(rd.GetString(2), rd.GetString(3), DateOnly.FromDateTime(started), rd.GetString(0), started,
                    rd.GetString(4), rd.IsDBNull(5) ? null : rd.GetString(5), Convert.ToInt64(rd.GetValue(6), CultureInfo.InvariantCulture) != 0, L(7), L(8), L(9)));
            }
        }
        var keep = cells.Select(c => c.Night).Distinct().OrderDescending().Take(nights).ToHashSet();
        // The newest run of each machine, plan and night.
        return cells.Where(c => keep.Contains(c.Night))
            .GroupBy(c => (c.Host, c.Plan, c.Night)).Select(g => g.MaxBy(c => c.StartedUtc)!)
            .OrderBy(c => c.Host, StringComparer.Ordinal).ThenBy(c => c.Plan, StringComparer.Ordinal).ThenBy(c => c.Night).ToList();
    }

    /// <summary>The newest run (of a plan, if given) on a host: its id, plan and host.</summary>
    public (string RunId, string Plan, string Host)? Newest(string? plan, string? host)
    {
        using var cmd = Command(_db, "SELECT run_id, plan, host FROM runs WHERE (@plan IS NULL OR plan = @plan) AND (@host IS NULL OR host = @host) ORDER BY started_utc DESC LIMIT 1",
            null, ("@plan", plan), ("@host", host));
        using var rd = cmd.ExecuteReader();
        return rd.Read() ? (rd.GetString(0), rd.GetString(1), rd.GetString(2)) : null;
    }

    public int SchemaVersion => Version(_db);

    private static int Version(DbConnection db) =>
        Convert.ToInt32(Scalar(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version") ?? 0, CultureInfo.InvariantCulture);

    public int RunCount(string plan, string host) =>
        Convert.ToInt32(Scalar(_db, "SELECT COUNT(*) FROM runs WHERE plan = @plan AND host = @host", ("@plan", plan), ("@host", host)), CultureInfo.InvariantCulture);

    /// <summary>The last <paramref name="nights"/> runs of a plan on a host, up to and including <paramref name="runId"/>, oldest first.</summary>
    public HistoryView View(string plan, string host, string runId, int nights = 14)
    {
        var runs = new List<(string Id, DateTime Started, string Env)>();
        using (var cmd = Command(_db, """
            SELECT run_id, started_utc, environment FROM runs
            WHERE plan = @plan AND host = @host AND started_utc <= (SELECT started_utc FROM runs WHERE run_id = @id)
            ORDER BY started_utc DESC LIMIT @n
            """, null, ("@plan", plan), ("@host", host), ("@id", runId), ("@n", (long)nights)))
        using (var rd = cmd.ExecuteReader())
            while (rd.Read())
                runs.Add((rd.GetString(0), DateTime.Parse(rd.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), rd.GetString(2)));
        runs.Reverse();
        var series = new Dictionary<(string, string), List<StagePoint>>();
        var configs = new Dictionary<string, List<(string Id, DateTime Started, string? Hash, string? Json)>>(StringComparer.Ordinal);
        foreach (var (id, started, _) in runs)
        {
            using (var cmd = Command(_db, """
                SELECT st.suite, st.stage, st.p50_ns, st.p99_ns, st.max_ns, st.verdict, su.config_hash
                FROM stages st LEFT JOIN suites su ON su.run_id = st.run_id AND su.suite = st.suite
                WHERE st.run_id = @id ORDER BY st.suite, st.stage
                """, null, ("@id", id)))
            using (var rd = cmd.ExecuteReader())
            {
                while (rd.Read())
                {
                    var key = (rd.GetString(0), rd.GetString(1));
                    if (!series.TryGetValue(key, out var list)) series[key] = list = [];
                    list.Add(new StagePoint(id, started, host, rd.GetInt64(2), rd.GetInt64(3), rd.GetInt64(4), rd.GetString(5), rd.IsDBNull(6) ? null : rd.GetString(6)));
                }
            }
            using (var cmd = Command(_db, "SELECT suite, config_hash, parameters FROM suites WHERE run_id = @id", null, ("@id", id)))
            using (var rd = cmd.ExecuteReader())
            {
                while (rd.Read())
                {
                    if (!configs.TryGetValue(rd.GetString(0), out var list)) configs[rd.GetString(0)] = list = [];
                    list.Add((id, started, rd.IsDBNull(1) ? null : rd.GetString(1), rd.IsDBNull(2) ? null : rd.GetString(2)));
                }
            }
        }
        var regressions = new List<Regression>();
        foreach (var ((suite, stage), points) in series)
        {
            if (points.Count == 0 || points[^1].RunId != runId) continue;
            if (Judge(points) is { } why) regressions.Add(new Regression(suite, stage, why));
        }
        // A night whose configuration differs from the night before, with what changed (the parameters, else the hash alone: kernel configuration or card revision).
        var changes = new List<ConfigChange>();
        foreach (var (suite, perRun) in configs)
        {
            for (int i = 1; i < perRun.Count; i++)
            {
                var (before, after) = (perRun[i - 1], perRun[i]);
                if (before.Hash is null || after.Hash is null || before.Hash == after.Hash) continue;
                // Limits are recorded but not hashed: a changed limit is not a configuration change.
                var what = before.Json is null || after.Json is null ? [] : JsonDiff(before.Json, after.Json, key => key.StartsWith("limits", StringComparison.Ordinal)).ToList();
                if (what.Count == 0) what.Add("kernel configuration or card revision (the suite's parameters are the same)");
                changes.Add(new ConfigChange(suite, after.Id, after.Started, what));
            }
        }
        var envChanges = runs.Count >= 2 ? EnvironmentDiff(runs[^2].Env, runs[^1].Env) : [];
        return new HistoryView(series.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<StagePoint>)kv.Value), regressions, envChanges,
            runs.Count >= 2 ? runs[^2].Id : null, [.. changes.OrderBy(c => c.StartedUtc).ThenBy(c => c.Suite, StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Tonight (the last point) against the earlier nights of the same configuration only (like with
    /// like: <see cref="StagePoint.ConfigHash"/>): <see cref="RegressionVerdict.Judge"/> on their p99s. A
    /// night after a configuration change is judged once enough nights of the new configuration exist.
    /// </summary>
    public static string? Judge(IReadOnlyList<StagePoint> points)
    {
        if (points.Count == 0) return null;
        var tonight = points[^1].ConfigHash;
        return RegressionVerdict.Judge([.. points.Where(p => p.ConfigHash == tonight).Select(p => p.P99Ns)]);
    }

    /// <summary>What changed between two environment snapshots (JSON), one line per key.</summary>
    public static IReadOnlyList<string> EnvironmentDiff(string beforeJson, string afterJson) =>
        JsonDiff(beforeJson, afterJson, key => key.StartsWith("warnings", StringComparison.Ordinal));

    /// <summary>What changed between two JSON objects, one "key: before -> after" line per flattened key (a.b for nesting, lists joined), keys <paramref name="ignore"/> says to leave out aside.</summary>
    public static IReadOnlyList<string> JsonDiff(string beforeJson, string afterJson, Func<string, bool>? ignore = null)
    {
        var a = Flatten(JsonDocument.Parse(beforeJson).RootElement, "");
        var b = Flatten(JsonDocument.Parse(afterJson).RootElement, "");
        var changes = new List<string>();
        foreach (var key in a.Keys.Union(b.Keys).Where(k => ignore is null || !ignore(k)).Order(StringComparer.Ordinal))
        {
            a.TryGetValue(key, out var x);
            b.TryGetValue(key, out var y);
            if (x != y) changes.Add($"{key}: {x ?? "(none)"} -> {y ?? "(none)"}");
        }
        return changes;
    }

    private static Dictionary<string, string> Flatten(JsonElement e, string prefix)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                    foreach (var kv in Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}")) d[kv.Key] = kv.Value;
                break;
            case JsonValueKind.Array:
                d[prefix] = string.Join(", ", e.EnumerateArray().Select(x => x.ToString()));
                break;
            default:
                d[prefix] = e.ToString();
                break;
        }
        return d;
    }

    private static DbCommand Command(DbConnection db, string sql, DbTransaction? tx, params (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            // Typed, so that PostgreSQL knows a NULL's type too.
            p.DbType = v is long or int ? DbType.Int64 : DbType.String;
            p.Value = v ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    private static void Exec(DbConnection db, string sql, DbTransaction? tx = null, params (string, object?)[] args)
    {
        using var cmd = Command(db, sql, tx, args);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(DbConnection db, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(db, sql, null, args);
        return cmd.ExecuteScalar();
    }

    public void Dispose() => _db.Dispose();
}
