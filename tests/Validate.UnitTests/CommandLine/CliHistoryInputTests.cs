using Microsoft.Data.Sqlite;
using NUnit.Framework;
using Validate.Reports;
using Validate.TestSupport;

namespace Validate.UnitTests.CommandLine;

/// <summary>
/// A history store that is not one (text, a SQLite file cut short, another program's database, a store
/// missing its tables, a directory, a results file) is one line naming the file and the fix, exit 3: never a
/// stack trace, never exit 4 (the machine is fine), never migrated into.
/// </summary>
public class CliHistoryInputTests
{
    private DirectoryInfo _dir = null!;

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("validate-history-input-");

    [TearDown]
    public void RemoveDir() => _dir.Delete(true);

    private string ValidStore()
    {
        var db = Path.Combine(_dir.FullName, "good.sqlite");
        var results = Path.Combine(_dir.FullName, "results.json");
        Reports.ReportTests.Sample().Write(results);
        ReportWriter.Write(results, historyPath: db);
        SqliteConnection.ClearAllPools();
        return db;
    }

    private static void Sql(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [TestCase("text")]
    [TestCase("cut-short")]
    [TestCase("another-program")]
    [TestCase("tables-dropped")]
    [TestCase("results-file")]
    public void A_file_that_is_not_a_history_store_is_one_line_with_the_fix_and_status_3(string shape)
    {
        var db = Path.Combine(_dir.FullName, "history.sqlite");
        switch (shape)
        {
            case "text": File.WriteAllText(db, "this is not a database\n"); break;
            case "cut-short": File.WriteAllBytes(db, File.ReadAllBytes(ValidStore())[..4096]); break;
            case "another-program": Sql(db, "CREATE TABLE invoices (id INTEGER)"); break;
            case "tables-dropped": File.Copy(ValidStore(), db); Sql(db, "DROP TABLE stages"); break;
            case "results-file": Reports.ReportTests.Sample().Write(db); break;
        }
        var before = File.ReadAllBytes(db);
        var run = Cli.Run(TimeSpan.FromMinutes(1), "history", "--db", db);
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InputError), run.ToString());
        Assert.That(run.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), run.ToString());
        Assert.That(run.Stderr, Does.Contain(db).And.Contain("not a Validate history store").And.Contain("move this file away"));
        Assert.That(File.ReadAllBytes(db), Is.EqualTo(before), "left as found");
    }

    [Test]
    public void A_directory_given_as_the_store_is_status_3_naming_the_file_to_give()
    {
        var run = Cli.Run(TimeSpan.FromMinutes(1), "history", "--db", _dir.FullName);
        Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.InputError), run.ToString());
        Assert.That(run.Stderr, Does.Contain("is a directory").And.Contain("history.sqlite"));
    }
}
