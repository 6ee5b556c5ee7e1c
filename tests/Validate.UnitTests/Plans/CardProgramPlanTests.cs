using NUnit.Framework;
using Validate.Faults;
using Validate.Interop;
using Validate.Plans;
using Validate.TestSupport;

namespace Validate.UnitTests.Plans;

/// <summary>
/// What a plan says of a card beyond its IRQ program: init and disable steps, a status that clears when
/// read, MSI-X vectors, how raises are tagged, a health check, the neighbour's card; each loaded into the
/// plan and each mistake one error at its key.
/// </summary>
public class CardProgramPlanTests
{
    private string _dir = "";

    // A made-up card (not one of the lab's): a cause register that clears when read, set by writing CAUSE_SET.
    private const string Plan = """
        {
          "schema": 1,
          "name": "nic",
          "card": { "name": "nic", "vendor": "0x10ee", "device": "0x7021" },
          "registers": { "cause": { "bar": 0, "offset": "0xc0" }, "causeSet": { "bar": 0, "offset": "0xc8" }, "enable": { "bar": 0, "offset": "0xd0" },
                         "disable": { "bar": 0, "offset": "0xd8" }, "route": { "bar": 0, "offset": "0xe4" }, "scratch": { "bar": 0, "offset": "0x2800" } },
          "irqProgram": { "check": { "op": "read-ne", "register": "cause", "mask": "0xf00000" }, "readToClear": true,
                          "ack": [ { "op": "write-status", "register": "cause", "mask": "0xf00000" } ] },
          "init": [ { "op": "write", "register": "route", "value": "0xcba98" }, { "op": "write", "register": "enable", "value": "0xf00000" } ],
          "disable": [ { "op": "write", "register": "disable", "value": "0xffffffff" } ],
          "stimulus": { "register": "causeSet", "value": "0x100000", "tag": "bits", "tagBits": "0xf00000" },
          "health": [ { "register": "scratch", "write": "0x5a5aa5a0", "expect": "0x5a5aa5a0" }, { "register": "enable", "mask": "0xf00000", "expect": 0, "withinMs": 10 } ],
          "drivers": { "mine": { "program": "/opt/lab/driver" } },
          "suites": [ SUITE ]
        }
        """;

    private const string MsixSuite = """{ "name": "x", "backend": "valirq", "mode": "msix", "vectors": [ 0, 2, 3 ], "count": 10, "cpus": [ 1 ] }""";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("validate-card-plan-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private string Write(string text, string name = "plan.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string WithSuite(string suite, string? replace = null, string? with = null)
    {
        var text = Plan.Replace("SUITE", suite, StringComparison.Ordinal);
        if (replace is not null) text = text.Replace(replace, with!, StringComparison.Ordinal);
        return Write(text);
    }

    private static PlanError Error(string path) => Assert.Throws<PlanException>(() => PlanLoader.Load(path, [], cpuCount: 2))!.Errors.Single();

    [Test]
    public void Init_disable_read_to_clear_vectors_tags_and_health_load_into_the_plan()
    {
        var p = PlanLoader.Load(WithSuite(MsixSuite), cpuCount: 2);
        var s = p.Suites.Single();
        Assert.Multiple(() =>
        {
            Assert.That((p.Init.NInit, p.Init.NDisable), Is.EqualTo((2u, 1u)));
            Assert.That((p.Init.Init[0].Reg.Offset, p.Init.Init[0].Value, p.Init.Disable[0].Op), Is.EqualTo((0xe4u, 0xcba98u, Valirq.OpWrite)));
            Assert.That(p.ReadToClear, Is.True);
            Assert.That(p.Program!.Value.Flags & Valirq.ProgReadToClear, Is.EqualTo(Valirq.ProgReadToClear));
            Assert.That((s.Mode, s.VectorMask), Is.EqualTo(("msix", 0b1101u)));
            Assert.That(p.Stimulus!.Tags.Count, Is.EqualTo(4));
            Assert.That(p.Health!.Select(h => (h.RegisterName, h.Write, h.Mask, h.Expect, h.WithinMs)), Is.EqualTo(new[]
            {
                ("scratch", (uint?)0x5a5aa5a0u, 0xffffffffu, 0x5a5aa5a0u, 0), ("enable", (uint?)null, 0xf00000u, 0u, 10),
            }));
        });
    }

    [Test]
    public void A_plan_without_a_tag_rotates_over_all_32_bits_as_the_edu_card_needs()
    {
        var p = PlanLoader.Load(WithSuite(MsixSuite, "\"tag\": \"bits\", \"tagBits\": \"0xf00000\"", "\"tag\": \"bits\""), cpuCount: 2);
        Assert.That((p.Stimulus!.Tags.Count, p.Stimulus.Tags.RaiseValue(0), p.Stimulus.Tags.RaiseValue(33)), Is.EqualTo((32, 1u, 2u)));
    }

    [TestCase("\"vectors\": [ 0, 2, 3 ]", "\"vectors\": [ 0, 32 ]", "suites:0:vectors", "32 is not an MSI-X table entry")]
    [TestCase("\"vectors\": [ 0, 2, 3 ]", "\"vectors\": [ 1, 1 ]", "suites:0:vectors", "lists an entry twice")]
    [TestCase("\"mode\": \"msix\"", "\"mode\": \"msi\"", "suites:0:vectors", "only mode msix takes vectors")]
    [TestCase("\"tag\": \"bits\"", "\"tag\": \"rotate\"", "stimulus:tag", "use bits")]
    [TestCase("\"tagBits\": \"0xf00000\"", "\"tagBits\": 0", "stimulus:tagBits", "rotates nothing")]
    [TestCase("\"tag\": \"bits\", \"tagBits\": \"0xf00000\"", "\"tag\": \"none\", \"tagBits\": \"0xf00000\"", "stimulus:tagBits", "tag none rotates no bits")]
    [TestCase("\"tagBits\": \"0xf00000\"", "\"tagBits\": \"0xf00000\", \"statusShift\": 9", "stimulus:statusShift", "out of the 32-bit status")]
    [TestCase("{ \"op\": \"write\", \"register\": \"route\"", "{ \"op\": \"write-status\", \"register\": \"route\"", "init:0:op", "no interrupt status to write")]
    [TestCase("\"register\": \"disable\", \"value\"", "\"register\": \"disabled\", \"value\"", "disable:0:register", "'disabled' is not a register")]
    [TestCase("\"op\": \"write-status\", \"register\": \"cause\"", "\"op\": \"clear-bits\", \"register\": \"cause\"", "irqProgram:ack:0:op", "readToClear says clears when read")]
    [TestCase("{ \"register\": \"scratch\", \"write\"", "{ \"register\": \"scratc\", \"write\"", "health:0:register", "'scratc' is not a register")]
    [TestCase("\"mask\": \"0xf00000\", \"expect\": 0,", "\"mask\": \"0xf00000\", \"expect\": \"0xf\",", "health:1:expect", "bits outside mask")]
    [TestCase("\"mask\": \"0xf00000\", \"expect\": 0,", "\"mask\": \"0xf00000\",", "health:1:expect", "missing")]
    [TestCase("\"withinMs\": 10", "\"withinMs\": 100000", "health:1:withinMs", "give 0 (one read) to 60000 ms")]
    public void Each_mistake_in_the_card_keys_is_one_error_at_its_key(string replace, string with, string key, string says)
    {
        var e = Error(WithSuite(MsixSuite, replace, with));
        Assert.Multiple(() =>
        {
            Assert.That(e.KeyPath, Is.EqualTo(key));
            Assert.That(e.Message, Does.Contain(says));
        });
    }

    [Test]
    public void A_fault_suite_on_msix_takes_vectors_and_refuses_a_neighbour()
    {
        var ok = PlanLoader.Load(WithSuite("""{ "name": "k", "kind": "fault", "fault": "kill-random", "driver": "mine", "mode": "msix", "vectors": [ 0, 1 ], "cpus": [ 1 ] }"""), cpuCount: 2);
        Assert.That(ok.Suites.Single().VectorMask, Is.EqualTo(0b11u));
        var e = Error(WithSuite("""{ "name": "k", "kind": "fault", "fault": "kill-random", "driver": "mine", "mode": "msix", "neighbour": true, "cpus": [ 1 ] }"""));
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("suites:0:neighbour", "MSI-X has no shared line: the neighbour needs mode intx-pci23")));
    }

    [Test]
    public void The_neighbour_card_comes_from_its_own_plan()
    {
        var edu = Path.Combine(Cli.Layout.Root, "testplans", "qemu", "edu.json");
        var p = PlanLoader.Load(WithSuite(MsixSuite, "\"schema\": 1,", $"\"schema\": 1, \"neighbourCard\": \"{Path.GetRelativePath(_dir, edu)}\","), cpuCount: 2);
        Assert.Multiple(() =>
        {
            Assert.That(p.Neighbour.Card.Name, Is.EqualTo("QEMU edu"));
            Assert.That(p.Neighbour.Stimulus, Is.Not.Null);
            Assert.That(PlanLoader.Load(WithSuite(MsixSuite), cpuCount: 2).Neighbour.Card.Name, Is.EqualTo("nic"), "no neighbourCard: a second card like this one");
        });
        var e = Error(WithSuite(MsixSuite, "\"schema\": 1,", "\"schema\": 1, \"neighbourCard\": \"nowhere.json\","));
        Assert.That((e.KeyPath, e.Message), Is.EqualTo(("neighbourCard", $"'nowhere.json': no such plan ({Path.Combine(_dir, "nowhere.json")}); give the path of the other card's plan, relative to this one")));
    }

    [Test]
    public void The_driver_channel_carries_the_cards_programs()
    {
        var p = PlanLoader.Load(WithSuite(MsixSuite), cpuCount: 2);
        var env = DriverProcess.ChannelEnvironment(p, "/dev/valirq-0000:00:04.0", "0000:00:04.0", "msix", p.Suites[0].VectorMask);
        Assert.Multiple(() =>
        {
            Assert.That(env["VALIDATE_DRIVER_MODE"], Is.EqualTo("msix"));
            Assert.That(env["VALIDATE_DRIVER_VECTORS"], Is.EqualTo("0,2,3"));
            Assert.That(env["VALIDATE_DRIVER_CHECK"], Is.EqualTo("read-ne:0:0xc0:4:0xf00000:0x0"));
            Assert.That(env["VALIDATE_DRIVER_ACK"], Is.EqualTo("write-status:0:0xc0:4:0xf00000:0x0"));
            Assert.That(env["VALIDATE_DRIVER_INIT"], Is.EqualTo("write:0:0xe4:4:0xffffffff:0xcba98;write:0:0xd0:4:0xffffffff:0xf00000"));
            Assert.That(env["VALIDATE_DRIVER_DISABLE"], Is.EqualTo("write:0:0xd8:4:0xffffffff:0xffffffff"));
            Assert.That(env["VALIDATE_DRIVER_READ_TO_CLEAR"], Is.EqualTo("1"));
            Assert.That(env["VALIDATE_DRIVER_RELEASE"], Is.EqualTo("quiesce"));
        });
        var uio = DriverProcess.ChannelEnvironment(p, "/dev/uio0", "0000:00:08.0", "uio", 0);
        Assert.That((uio["VALIDATE_DRIVER_VECTORS"], uio["VALIDATE_DRIVER_QUIESCE"], uio["VALIDATE_DRIVER_RELEASE"]), Is.EqualTo(("", "", "")));
    }
}
