using NUnit.Framework;
using Validate.Reports;
using Validate.Reports.History;
using Validate.Results;
using Validate.TestSupport;

namespace Validate.UnitTests.Reports;

/// <summary>
/// History survives runs, shows trends, flags a meaningful regression and says what changed: the same
/// tests on SQLite (a file) and on a real PostgreSQL server started for the fixture.
/// </summary>
[TestFixture("sqlite")]
[TestFixture("postgresql")]
[NonParallelizable]
public class HistoryTests(string backend)
{
    private DirectoryInfo _dir = null!;
    private PostgresServer? _pg;
    private string _db = "";
    private static int _databases;

    [OneTimeSetUp]
    public void StartServer()
    {
        if (backend != "postgresql") return;
        if (PostgresServer.FindBin() is null)
        {
            const string why = "PostgreSQL is not installed; apt-get install postgresql (validate selftest does)";
            if (Environment.GetEnvironmentVariable("VALIDATE_STRICT") == "1") Assert.Fail(why);
            Assert.Ignore(why);
        }
        _pg = new PostgresServer();
    }

    [OneTimeTearDown]
    public void StopServer() => _pg?.Dispose();

    [SetUp]
    public void MakeDir()
    {
        _dir = Directory.CreateTempSubdirectory("validate-history-");
        if (_pg is null)
        {
            _db = Path.Combine(_dir.FullName, "history.sqlite");
            return;
        }
        // A database of its own for each test.
        var name = $"history_{Interlocked.Increment(ref _databases)}";
        using (var c = new Npgsql.NpgsqlConnection(_pg.ConnectionString))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {name}";
            cmd.ExecuteNonQuery();
        }
        _db = _pg.ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    [TearDown]
    public void RemoveDir() => _dir.Delete(true);

    private string Db => _db;

    /// <summary>A night: the sample run with its stages scaled, written to its own results.json.</summary>
    private string Night(int n, double scale = 1.0, string kernel = "6.1.0-rt", int rateHz = 1000)
    {
        var r = ReportTests.Sample() with { RunId = $"night-{n}", StartedUtc = new DateTime(2026, 11, n, 2, 0, 0, DateTimeKind.Utc) };
        r = r with { Environment = r.Environment with { KernelRelease = kernel, Hostname = "lab-1", KernelConfigHash = "0123456789abcdef" } };
        foreach (var s in r.Suites)
        {
            // What the suite measured with, and its hash, as RunSession records them.
            s.Parameters = new SuiteParameters { Kind = "latency", Backend = s.Backend, Mode = s.Mode, Load = "idle", Count = 5000, RateHz = rateHz, Cpus = [1], Priority = 80 };
            s.ConfigHash = Validate.Engine.SuiteConfiguration.Hash(s.Parameters, r.Environment.KernelConfigHash, "10");
            var stages = s.Stages.Select(st => st with { P99Ns = (long)(st.P99Ns * scale * (1 + 0.01 * n)), MaxNs = (long)(st.MaxNs * scale) }).ToList();
            s.Stages.Clear();
            s.Stages.AddRange(stages);
        }
        var dir = Path.Combine(_dir.FullName, $"night-{n}");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "results.json");
        r.Write(path);
        return path;
    }

    [Test]
    public void Three_nights_make_a_trend_and_no_regression_is_judged_before_enough_nights()
    {
        for (int n = 1; n <= 3; n++) ReportWriter.Write(Night(n), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        var v = store.View("edu", "lab-1", "night-3");
        Assert.That(v.Series[("msi-idle", "total")].Select(p => p.RunId), Is.EqualTo(new[] { "night-1", "night-2", "night-3" }));
        Assert.That(v.Regressions, Is.Empty);
        Assert.That(v.PreviousRunId, Is.EqualTo("night-2"));
        Assert.That(v.EnvironmentChanges, Is.Empty);
        var html = File.ReadAllText(Path.Combine(_dir.FullName, "night-3", "report.html"));
        Assert.That(html, Does.Contain("History (3 run(s)").And.Contain("alt=\"trend of total latency\""));
    }

    [Test]
    public void A_night_far_outside_the_spread_is_a_regression_that_says_why_and_what_changed()
    {
        for (int n = 1; n <= 4; n++) ReportWriter.Write(Night(n), historyPath: Db);
        var (html, _) = ReportWriter.Write(Night(5, scale: 3, kernel: "6.1.0-rt-new"), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        var v = store.View("edu", "lab-1", "night-5");
        var total = v.Regressions.Single(r => r.Suite == "msi-idle" && r.Stage == "total");
        Assert.That(total.Why, Does.Contain("over the 4 nights before").And.Contain("z ="));
        Assert.That(v.EnvironmentChanges, Has.Some.StartsWith("kernelRelease: 6.1.0-rt -> 6.1.0-rt-new"));
        Assert.That(File.ReadAllText(html), Does.Contain("regression").And.Contain("kernelRelease"));
    }

    [Test]
    public void A_configuration_change_is_marked_on_the_trend_and_never_flagged_as_a_regression()
    {
        // Four nights at 1000/s, then the plan is changed to 200/s and tonight's p99 triples: another
        // configuration, so not a regression; the change is said, with what changed.
        for (int n = 1; n <= 4; n++) ReportWriter.Write(Night(n), historyPath: Db);
        var (html, _) = ReportWriter.Write(Night(5, scale: 3, rateHz: 200), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        var v = store.View("edu", "lab-1", "night-5");
        Assert.That(v.Regressions, Is.Empty, "tonight is compared only with nights of its own configuration");
        var change = v.Changes.First(c => c.Suite == "msi-idle");
        Assert.That(change.RunId, Is.EqualTo("night-5"));
        Assert.That(change.What, Is.EqualTo(new[] { "rateHz: 1000 -> 200" }));
        Assert.That(v.Series[("msi-idle", "total")].Select(p => p.ConfigHash).Distinct().Count(), Is.EqualTo(2));
        Assert.That(File.ReadAllText(html), Does.Contain("Configuration changes").And.Contain("rateHz: 1000 -&gt; 200"));
    }

    [Test]
    public void Nights_of_the_new_configuration_are_judged_against_each_other_once_there_are_enough()
    {
        for (int n = 1; n <= 4; n++) ReportWriter.Write(Night(n), historyPath: Db);
        for (int n = 5; n <= 8; n++) ReportWriter.Write(Night(n, scale: 3, rateHz: 200), historyPath: Db);
        ReportWriter.Write(Night(9, scale: 9, rateHz: 200), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        var v = store.View("edu", "lab-1", "night-9");
        Assert.That(v.Regressions.Select(r => (r.Suite, r.Stage)), Does.Contain(("msi-idle", "total")));
        Assert.That(v.Regressions.First(r => r.Suite == "msi-idle" && r.Stage == "total").Why, Does.Contain("over the 4 nights before"),
            "only the 4 nights at 200/s, not the 4 at 1000/s");
    }

    [Test]
    public void Small_night_to_night_noise_is_not_a_regression()
    {
        for (int n = 1; n <= 6; n++) ReportWriter.Write(Night(n), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        Assert.That(store.View("edu", "lab-1", "night-6").Regressions, Is.Empty, "+1 % a night is within 10 %");
    }

    [Test]
    public void The_store_migrates_once_and_keeps_its_runs_across_opens()
    {
        ReportWriter.Write(Night(1), historyPath: Db);
        ReportWriter.Write(Night(1), historyPath: Db); // the same run again replaces itself
        ReportWriter.Write(Night(2), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        Assert.That(store.IsPostgres, Is.EqualTo(backend == "postgresql"));
        Assert.That(store.RunCount("edu", "lab-1"), Is.EqualTo(2));
        Assert.That(store.SchemaVersion, Is.EqualTo(2), "each migration applied once");
    }

    [Test]
    public void Two_machines_share_one_store_and_keep_their_own_history()
    {
        ReportWriter.Write(Night(1), historyPath: Db);
        var other = ReportTests.Sample() with { RunId = "other-1", StartedUtc = new DateTime(2026, 11, 1, 3, 0, 0, DateTimeKind.Utc) };
        other = other with { Environment = other.Environment with { Hostname = "lab-2" } };
        var path = Path.Combine(_dir.FullName, "other.json");
        other.Write(path);
        ReportWriter.Write(path, outDir: Path.Combine(_dir.FullName, "other"), historyPath: Db);
        using var store = HistoryStore.Open(Db);
        Assert.That((store.RunCount("edu", "lab-1"), store.RunCount("edu", "lab-2")), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Two_machines_writing_to_one_store_show_up_together_on_the_fleet_page()
    {
        for (int n = 1; n <= 3; n++)
        {
            ReportWriter.Write(Night(n), historyPath: Db);
            var other = ReportTests.Sample() with { RunId = $"lab2-{n}", StartedUtc = new DateTime(2026, 11, n, 3, 0, 0, DateTimeKind.Utc), Verdict = n == 3 ? Verdict.Fail : Verdict.Pass };
            other = other with { Environment = other.Environment with { Hostname = "lab-2" } };
            var dir = Path.Combine(_dir.FullName, $"lab2-{n}");
            Directory.CreateDirectory(dir);
            other.Write(Path.Combine(dir, "results.json"));
            ReportWriter.Write(Path.Combine(dir, "results.json"), historyPath: Db);
        }
        using (var store = HistoryStore.Open(Db))
        {
            var cells = store.Fleet(nights: 2);
            Assert.That(cells.Select(c => (c.Host, c.Night.Day)), Is.EquivalentTo(new[] { ("lab-1", 2), ("lab-1", 3), ("lab-2", 2), ("lab-2", 3) }), "the last 2 nights of both");
            Assert.That(cells.Single(c => c.Host == "lab-2" && c.Night.Day == 3).Verdict, Is.EqualTo("fail"));
            Assert.That(cells.All(c => c.WorstMaxNs > 0 && File.Exists(c.ReportPath)), Is.True, "worst latency and the night's report");
        }
        var page = Path.Combine(_dir.FullName, "fleet.html");
        var h = Cli.Run(TimeSpan.FromSeconds(60), "history", "--fleet", "--db", Db, "--page", page);
        Assert.That(h.ExitCode, Is.EqualTo(ExitCodes.Failed), "tonight one machine failed: " + h);
        Assert.That(h.Stdout, Does.Contain("lab-1").And.Contain("lab-2").And.Contain("2026-11-01").And.Contain("FAIL"));
        var html = File.ReadAllText(page);
        Assert.That(html, Does.Contain("2 machine(s), 3 night(s)").And.Contain(">lab-1<").And.Contain(">lab-2<"));
        Assert.That(html, Does.Contain(Path.Combine(_dir.FullName, "lab2-3", "report.html")), "each cell links to its night's report");
    }

    [Test]
    public void History_and_compare_commands_report_the_regression_and_the_deltas()
    {
        for (int n = 1; n <= 4; n++) ReportWriter.Write(Night(n), historyPath: Db);
        ReportWriter.Write(Night(5, scale: 3), historyPath: Db);
        var h = Cli.Run(TimeSpan.FromSeconds(60), "history", "--db", Db);
        Assert.That(h.ExitCode, Is.EqualTo(ExitCodes.Failed), h.ToString());
        Assert.That(h.Stdout, Does.Contain("REGRESSION msi-idle total: p99"));
        var c = Cli.Run(TimeSpan.FromSeconds(60), "compare", Path.Combine(_dir.FullName, "night-4"), Path.Combine(_dir.FullName, "night-5"));
        Assert.That(c.ExitCode, Is.Zero, c.ToString());
        Assert.That(c.Stdout, Does.Contain("msi-idle").And.Contain("(+").And.Contain("environment: unchanged"));
    }
}
