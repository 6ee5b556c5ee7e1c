using NUnit.Framework;
using Validate.Faults;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Plans;

/// <summary>Fault suites in plans: the keys they take, the drivers they name, and one clear error per mistake.</summary>
public class FaultPlanTests
{
    private string _dir = "";

    private const string Plan = """
        {
          "schema": 1,
          "name": "faults",
          "card": { "name": "edu", "vendor": "0x1234", "device": "0x11e8" },
          "registers": { "irqStatus": { "bar": 0, "offset": "0x24" }, "irqRaise": { "bar": 0, "offset": "0x60" }, "irqAck": { "bar": 0, "offset": "0x64" }, "status": { "bar": 0, "offset": "0x20" } },
          "irqProgram": { "check": { "op": "read-ne", "register": "irqStatus" }, "ack": [ { "op": "write-status", "register": "irqAck" } ] },
          "quiesce": [ { "op": "write", "register": "irqAck", "value": "0xffffffff" }, { "op": "clear-bits", "register": "status", "mask": "0x80" } ],
          "stimulus": { "register": "irqRaise", "value": 1 },
          "drivers": { "mine": { "program": "/opt/lab/driver", "args": [ "--fast" ] } },
          "suites": [ SUITE ]
        }
        """;

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("validate-fault-plan-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private string Write(string suite)
    {
        var path = Path.Combine(_dir, "plan.json");
        File.WriteAllText(path, Plan.Replace("SUITE", suite, StringComparison.Ordinal));
        return path;
    }

    private static IReadOnlyList<PlanError> Errors(string path) =>
        Assert.Throws<PlanException>(() => PlanLoader.Load(path, [], cpuCount: 2))!.Errors;

    [Test]
    public void A_fault_suite_loads_with_its_driver_and_defaults()
    {
        var p = PlanLoader.Load(Write("""{ "name": "kill", "kind": "fault", "fault": "kill-in-handler", "driver": "mine", "cpus": [ 1 ] }"""), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.That(s.IsFault, Is.True);
        var f = s.Fault!;
        Assert.That((f.Kind, f.Repetitions, f.Driver.Program, f.Neighbour, f.HangMs, s.Mode, s.RateHz), Is.EqualTo(("kill-in-handler", 20, "/opt/lab/driver", false, 200, "msi", 200)));
        Assert.That(f.Driver.Args, Is.EqualTo(new[] { "--fast" }));
    }

    [TestCase("msi", null)]
    [TestCase("intx", null)]
    [TestCase("msix", null)]
    [TestCase("intx-pci23", "'intx-pci23' is not a vfio mode; use intx, msi, msix")]
    public void A_latency_suite_through_vfio_takes_intx_msi_or_msix(string mode, string? error)
    {
        var path = Write($$"""{ "name": "l", "backend": "vfio", "mode": "{{mode}}", "count": 10, "cpus": [ 1 ] }""");
        if (error is null)
            Assert.That(PlanLoader.Load(path, cpuCount: 2).Suites.Single().Backend, Is.EqualTo(BackendKind.Vfio));
        else
            Assert.That(Errors(path).Single(e => e.KeyPath == "suites:0:mode").Message, Does.Contain(error));
    }

    [Test]
    public void A_vfio_fault_suite_loads_with_its_mode_and_the_reset_at_open()
    {
        var p = PlanLoader.Load(Write("""{ "name": "kill", "kind": "fault", "backend": "vfio", "mode": "intx", "fault": "rebind", "driver": "mine", "vfioReset": true, "cpus": [ 1 ] }"""), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.That((s.Backend, s.Mode, s.Fault!.Kind, s.Fault.VfioReset), Is.EqualTo((BackendKind.Vfio, "intx", "rebind", true)));
    }

    [Test]
    public void The_82574L_plan_kills_a_driver_on_vfio_in_msi_and_intx()
    {
        var p = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "intel", "82574l.json"), cpuCount: 2);
        var vfio = p.Suites.Where(s => s.IsFault && s.Backend == BackendKind.Vfio).ToList();
        Assert.That(vfio.Select(s => s.Mode).Distinct(), Is.EquivalentTo(new[] { "msi", "intx" }));
        Assert.That(vfio.Select(s => s.Fault!.Kind), Is.SupersetOf(new[] { "kill-in-handler", "kill-random", "hang", "rebind" }));
        Assert.That(vfio.Any(s => s.Fault!.VfioReset), Is.True, "one suite resets the function at open");
    }

    [Test]
    public void The_edu_plan_has_every_fault_on_msi_and_on_the_shared_line_and_each_driver_start_mode()
    {
        var p = PlanLoader.Load(Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json"), cpuCount: 2);
        var faults = p.Suites.Where(s => s.IsFault).ToList();
        Assert.That(faults.Where(s => s.Mode == "msi").Select(s => s.Fault!.Kind).Distinct(), Is.EquivalentTo(FaultPlan.Kinds));
        Assert.That(faults.Where(s => s.Fault!.Neighbour).Select(s => s.Fault!.Kind).Distinct(),
            Is.SupersetOf(new[] { "kill-in-handler", "kill-random", "hang", "rebind", "reload", "revoke" }));
        Assert.That(faults.Where(s => s.Fault!.Kind == "kill-in-handler").Select(s => s.Fault!.Driver.Name), Is.SupersetOf(new[] { "card-jit", "card-r2r", "card-aot" }));
        Assert.That(faults.All(s => s.Limits.Stages.Any(l => l.Stage == "total")), Is.True, "every fault suite limits the recovery time");
    }

    [TestCase("""{ "name": "f", "kind": "fault", "fault": "explode", "driver": "mine" }""", "suites:0:fault", "kill-in-handler, kill-random")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "theirs" }""", "suites:0:driver", "use one of: mine")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "mode": "intx-exclusive" }""", "suites:0:mode", "msi, msix or intx-pci23")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "neighbour": true }""", "suites:0:neighbour", "needs mode intx-pci23")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "repetitions": 0 }""", "suites:0:repetitions", "1 to 100000")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "hangMs": 0 }""", "suites:0:hangMs", "1 to 600000")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "limits": { "stages": { "raise-hardirq": { "p99": "1ms" } } } }""", "suites:0:limits:stages:raise-hardirq", "exit, start, setup, first-irq, total")]
    [TestCase("""{ "name": "f", "backend": "timer", "count": 10, "fault": "hang" }""", "suites:0:fault", "only fault suites take this key")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "uio", "fault": "hang", "driver": "mine" }""", "suites:0:backend", "use valirq or vfio")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "vfio", "fault": "hang", "driver": "mine", "mode": "intx-pci23" }""", "suites:0:mode", "not a vfio mode; use intx, msi, msix")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "vfio", "fault": "reload", "driver": "mine" }""", "suites:0:fault", "a fault of valirq's")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "vfio", "fault": "revoke", "driver": "mine" }""", "suites:0:fault", "through vfio use kill-in-handler")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "vfio", "fault": "revoke-in-handler", "driver": "mine" }""", "suites:0:fault", "is a fault of valirq's")]
    [TestCase("""{ "name": "f", "kind": "fault", "backend": "vfio", "fault": "hang", "driver": "mine", "mode": "intx", "neighbour": true }""", "suites:0:neighbour", "remove it from a vfio suite")]
    [TestCase("""{ "name": "f", "kind": "fault", "fault": "hang", "driver": "mine", "vfioReset": true }""", "suites:0:vfioReset", "only fault suites through vfio")]
    [TestCase("""{ "name": "f", "backend": "vfio", "count": 10, "vfioReset": true }""", "suites:0:vfioReset", "only fault suites take this key")]
    public void A_bad_fault_key_is_one_error_at_its_path(string suite, string key, string expected)
    {
        var e = Errors(Write(suite));
        Assert.That(e.Select(x => x.KeyPath), Does.Contain(key), string.Join("\n", e));
        Assert.That(e.Single(x => x.KeyPath == key).Message, Does.Contain(expected));
    }

    [Test]
    public void The_quiesce_program_reaches_the_driver_in_the_channel_format()
    {
        var p = PlanLoader.Load(Write("""{ "name": "kill", "kind": "fault", "fault": "kill-idle", "driver": "mine", "cpus": [ 1 ] }"""), cpuCount: 2);
        Assert.That(DriverProcess.QuiesceText(p.Quiesce), Is.EqualTo("write:0:0x64:4:0xffffffff:0xffffffff;clear-bits:0:0x20:4:0x80:0x0"));
    }

    private const string KillSuite = """{ "name": "kill", "kind": "fault", "fault": "kill-idle", "driver": "mine", "cpus": [ 1 ] }""";

    private string WriteWithRelease(string release)
    {
        var path = Write(KillSuite);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"stimulus\":", $"\"release\": {release}, \"stimulus\":", StringComparison.Ordinal));
        return path;
    }

    [Test]
    public void Release_defaults_to_quiesce()
    {
        var p = PlanLoader.Load(Write(KillSuite), cpuCount: 2);
        Assert.That((p.Release, p.Quiesce.Policy), Is.EqualTo(("quiesce", Validate.Interop.Valirq.ReleaseQuiesce)));
    }

    [TestCase("quiesce", Validate.Interop.Valirq.ReleaseQuiesce)]
    [TestCase("reset", Validate.Interop.Valirq.ReleaseReset)]
    [TestCase("quiesce-then-reset", Validate.Interop.Valirq.ReleaseQuiesceThenReset)]
    public void Release_is_valirqs_policy_number_in_the_quiesce_program_every_opener_installs(string release, uint policy)
    {
        var p = PlanLoader.Load(WriteWithRelease($"\"{release}\""), cpuCount: 2);
        Assert.That((p.Release, p.Quiesce.Policy), Is.EqualTo((release, policy)));
        Assert.That(p.Quiesce.NSteps, Is.EqualTo(2u), "the steps stay");
    }

    [Test]
    public void Release_can_be_set_on_the_command_line()
    {
        var p = PlanLoader.Load(Write(KillSuite), ["release=quiesce-then-reset"], cpuCount: 2);
        Assert.That(p.Quiesce.Policy, Is.EqualTo(Validate.Interop.Valirq.ReleaseQuiesceThenReset));
    }

    [TestCase("\"reboot\"", "'reboot' is not a release policy; use quiesce")]
    [TestCase("\"Reset\"", "'Reset' is not a release policy")]
    [TestCase("\"\"", "'' is not a release policy")]
    public void A_bad_release_is_one_error_naming_file_key_value_and_the_fix(string value, string expected)
    {
        var path = WriteWithRelease(value);
        var e = Errors(path);
        Assert.That(e, Has.Count.EqualTo(1), string.Join("\n", e));
        Assert.That(e[0].ToString(), Does.StartWith($"{path}: release: {expected}").And.Contain("quiesce-then-reset (reset when the quiesce program leaves the card interrupting)"));
    }

    [Test]
    public void A_release_of_the_wrong_type_is_an_error_at_its_key()
    {
        var e = Errors(WriteWithRelease("[ \"reset\" ]"));
        Assert.That(e.Select(x => x.KeyPath), Has.Some.StartWith("release"), string.Join("\n", e));
    }
}
