using NUnit.Framework;
using Validate.CardDriver;
using Validate.Interop;

namespace Validate.UnitTests.CardDriver;

/// <summary>
/// The card driver's environment (docs/driver-channel.md, version 2): the edu plan's programs parse into
/// what valirq and the handler get, and every malformed value is exactly one error naming the variable and the fix.
/// </summary>
public class DriverSettingsTests
{
    /// <summary>The environment the harness gives the driver for the edu card on MSI (testplans/qemu/edu.json).</summary>
    private static Dictionary<string, string?> Edu() => new()
    {
        ["VALIDATE_DRIVER_DEVICE"] = "/dev/valirq-0000:00:04.0",
        ["VALIDATE_DRIVER_PCI"] = "0000:00:04.0",
        ["VALIDATE_DRIVER_MODE"] = "msi",
        ["VALIDATE_DRIVER_VECTORS"] = "",
        ["VALIDATE_DRIVER_CHECK"] = "read-ne:0:0x24:4:0xffffffff:0x0",
        ["VALIDATE_DRIVER_ACK"] = "write-status:0:0x64:4:0xffffffff:0x0",
        ["VALIDATE_DRIVER_INIT"] = "",
        ["VALIDATE_DRIVER_DISABLE"] = "",
        ["VALIDATE_DRIVER_READ_TO_CLEAR"] = "",
        ["VALIDATE_DRIVER_QUIESCE"] = "write:0:0x64:4:0x0:0xffffffff;clear-bits:0:0x20:4:0x80:0x0",
        ["VALIDATE_DRIVER_RELEASE"] = "quiesce",
    };

    private static DriverSettings? Parse(Dictionary<string, string?> env, out List<string> errors) =>
        DriverSettings.Parse(v => env.GetValueOrDefault(v), out errors);

    private static DriverSettings Parsed(Dictionary<string, string?> env)
    {
        var s = Parse(env, out var errors);
        Assert.That(errors, Is.Empty);
        return s!;
    }

    [Test]
    public void The_edu_cards_programs_become_a_check_only_program_for_valirq_and_ack_steps_for_the_driver()
    {
        var s = Parsed(Edu());
        Assert.That((s.Device, s.Pci, s.Mode, s.ReadToClear, s.Vectors), Is.EqualTo(("/dev/valirq-0000:00:04.0", "0000:00:04.0", DriverMode.Msi, false, 0u)));
        Assert.That((s.Check.Op, s.Check.Reg.Bar, s.Check.Reg.Offset, s.Check.Reg.Width, s.Check.Reg.Space, s.Check.Mask, s.Check.Value),
            Is.EqualTo((Valirq.OpReadNe, (byte)0, 0x24u, (byte)4, Valirq.SpaceMem, 0xffffffffu, 0u)));
        Assert.That((s.AckCount, s.Ack[0].Op, s.Ack[0].Reg.Offset, s.Ack[0].Mask), Is.EqualTo((1, Valirq.OpWriteStatus, 0x64u, 0xffffffffu)));
        var p = s.KernelProgram();
        Assert.That((p.NAck, p.NMask, p.NUnmask, p.Flags, p.Check.Reg.Offset), Is.EqualTo((0u, 0u, 0u, 0u, 0x24u)), "valirq gets the check only");
        Assert.That((s.Init.NInit, s.Init.NDisable), Is.EqualTo((0u, 0u)));
        Assert.That((s.Quiesce.NSteps, s.Quiesce.Policy, s.Quiesce.Steps[1].Op, s.Quiesce.Steps[1].Mask), Is.EqualTo((2u, Valirq.ReleaseQuiesce, Valirq.OpClearBits, 0x80u)));
        Assert.That((s.Enable().Mode, s.Enable().Vectors), Is.EqualTo((Valirq.ModeMsi, 0u)));
        Assert.That(s.Bars, Is.EqualTo(new[] { 0 }), "the quiesce is valirq's: its BARs are not the driver's to map");
    }

    [Test]
    public void Msix_enables_the_listed_table_entries()
    {
        var env = Edu();
        env["VALIDATE_DRIVER_MODE"] = "msix";
        env["VALIDATE_DRIVER_VECTORS"] = "0,1,2, 3,4";
        var s = Parsed(env);
        Assert.That((s.Enable().Mode, s.Enable().Vectors), Is.EqualTo((Valirq.ModeMsix, 0x1fu)));
        Assert.That(s.CheckVectors(5), Is.Null);
        Assert.That(s.CheckVectors(4), Does.StartWith("VALIDATE_DRIVER_VECTORS: entry 4 is beyond the card's MSI-X table (4 entries): use entries 0 to 3"));
        Assert.That(s.CheckVectors(0), Does.StartWith("VALIDATE_DRIVER_VECTORS: the card has no MSI-X table"));
    }

    [TestCase("intx-pci23", "IntxPci23")]
    [TestCase("uio", "Uio")]
    [TestCase("msi", "Msi")]
    [TestCase(null, "Msi")]
    [TestCase("vfio-msi", "VfioMsi")]
    [TestCase("vfio-intx", "VfioIntx")]
    public void Each_mode_is_parsed(string? mode, string name)
    {
        var expected = Enum.Parse<DriverMode>(name);
        var env = Edu();
        env["VALIDATE_DRIVER_MODE"] = mode;
        var s = Parsed(env);
        var vfio = name.StartsWith("Vfio", StringComparison.Ordinal);
        Assert.That((s.Mode, s.UsesValirq, s.UsesVfio), Is.EqualTo((expected, expected != DriverMode.Uio && !vfio, vfio)));
        if (expected == DriverMode.IntxPci23) Assert.That(s.Enable().Mode, Is.EqualTo(Valirq.ModeIntxShared), "PCI 2.3 masking: INTx shared with no mask steps");
    }

    [Test]
    public void Vfio_msix_takes_vectors_and_the_reset_at_open_is_for_vfio_only()
    {
        var env = Edu();
        env["VALIDATE_DRIVER_MODE"] = "vfio-msix";
        env["VALIDATE_DRIVER_VECTORS"] = "0,2";
        env["VALIDATE_DRIVER_VFIO_RESET"] = "1";
        var s = Parsed(env);
        Assert.That((s.IsMsix, s.Vectors, s.VfioReset), Is.EqualTo((true, 0x5u, true)));
        Assert.That(s.CheckVectors(2), Does.Contain("entry 2 is beyond the card's MSI-X table"));
        env["VALIDATE_DRIVER_MODE"] = "msi";
        env["VALIDATE_DRIVER_VECTORS"] = null;
        Assert.That(Parse(env, out var errors), Is.Null);
        Assert.That(errors, Is.EqualTo(new[] { "VALIDATE_DRIVER_VFIO_RESET=1 is for the vfio modes only: leave it empty in mode msi" }));
    }

    [Test]
    public void A_read_to_clear_check_is_flagged_to_valirq_and_init_and_disable_steps_are_kept_in_order()
    {
        var env = Edu();
        env["VALIDATE_DRIVER_CHECK"] = "read-eq:2:0xc0:4:0x8000:0x8000";
        env["VALIDATE_DRIVER_ACK"] = "";
        env["VALIDATE_DRIVER_READ_TO_CLEAR"] = "1";
        env["VALIDATE_DRIVER_INIT"] = "write:2:0xd0:4:0:0x1f; set-bits:0:0x20:4:0:0x80;";
        env["VALIDATE_DRIVER_DISABLE"] = "clear-bits:0:0x20:2:0x80:0";
        var s = Parsed(env);
        Assert.That((s.ReadToClear, s.KernelProgram().Flags, s.AckCount), Is.EqualTo((true, Valirq.ProgReadToClear, 0)));
        Assert.That((s.Init.NInit, s.Init.Init[0].Op, s.Init.Init[0].Reg.Bar, s.Init.Init[0].Value, s.Init.Init[1].Op),
            Is.EqualTo((2u, Valirq.OpWrite, (byte)2, 0x1fu, Valirq.OpSetBits)));
        Assert.That((s.Init.NDisable, s.Init.Disable[0].Op, s.Init.Disable[0].Reg.Width), Is.EqualTo((1u, Valirq.OpClearBits, (byte)2)));
        Assert.That(s.Bars, Is.EqualTo(new[] { 0, 2 }));
    }

    /// <summary>(variable, malformed value, what the one error must say).</summary>
    private static IEnumerable<TestCaseData> Malformed()
    {
        TestCaseData C(string v, string? value, string says) => new TestCaseData(v, value, says).SetArgDisplayNames(v, value ?? "(unset)");
        yield return C("VALIDATE_DRIVER_DEVICE", null, "VALIDATE_DRIVER_DEVICE is not set: the device to open, /dev/valirq-DDDD:BB:DD.F");
        yield return C("VALIDATE_DRIVER_PCI", null, "VALIDATE_DRIVER_PCI is not set: the card's PCI address, DDDD:BB:DD.F");
        yield return C("VALIDATE_DRIVER_PCI", "00:04.0", "VALIDATE_DRIVER_PCI='00:04.0' is not a PCI address: use DDDD:BB:DD.F");
        yield return C("VALIDATE_DRIVER_MODE", "msi-x", "VALIDATE_DRIVER_MODE='msi-x': use msi, msix, intx-pci23 (valirq), uio (uio_pci_generic) or vfio-msi, vfio-msix, vfio-intx (vfio-pci)");
        yield return C("VALIDATE_DRIVER_VECTORS", "0,1", "VALIDATE_DRIVER_VECTORS='0,1' is for mode msix only: leave it empty in mode msi");
        yield return C("VALIDATE_DRIVER_CHECK", null, "VALIDATE_DRIVER_CHECK is not set: the step that tells the card is interrupting, op:bar:offset:width:mask:value with op read-ne or read-eq");
        yield return C("VALIDATE_DRIVER_CHECK", " ", "VALIDATE_DRIVER_CHECK is not set");
        yield return C("VALIDATE_DRIVER_CHECK", "write:0:0x24:4:0xffffffff:0", "VALIDATE_DRIVER_CHECK='write:0:0x24:4:0xffffffff:0': op 'write': use read-ne or read-eq");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x24:4:0xffffffff", "VALIDATE_DRIVER_CHECK='read-ne:0:0x24:4:0xffffffff': 5 fields, expected 6: op:bar:offset:width:mask:value");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x24:4:0xffffffff:0;read-ne:0:0x28:4:1:0", "VALIDATE_DRIVER_CHECK='read-ne:0:0x24:4:0xffffffff:0;read-ne:0:0x28:4:1:0': 11 fields, expected 6");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:6:0x24:4:0xffffffff:0", "BAR 6 does not exist: use 0 to 5");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x24:8:0xffffffff:0", "width 8: use 1, 2 or 4 (bytes)");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x22:4:0xffffffff:0", "offset 0x22 is not aligned to the width 4: use a multiple of 4");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x24:4:0xfffffffff:0", "mask '0xfffffffff' is not a 32-bit number: use decimal or 0x hex");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:0:0x24:4:-1:0", "mask '-1' is not a 32-bit number: use decimal or 0x hex");
        yield return C("VALIDATE_DRIVER_CHECK", "read-ne:zero:0x24:4:1:0", "bar 'zero' is not a 32-bit number");
        yield return C("VALIDATE_DRIVER_ACK", "write-status:0:0x64:4:0xffffffff:0;read-ne:0:0x24:4:1:0", "VALIDATE_DRIVER_ACK: step 'read-ne:0:0x24:4:1:0': op 'read-ne': use write, write-status, set-bits or clear-bits");
        yield return C("VALIDATE_DRIVER_ACK", "write-status:0:0x64", "VALIDATE_DRIVER_ACK: step 'write-status:0:0x64': 3 fields, expected 6");
        yield return C("VALIDATE_DRIVER_ACK", string.Join(';', Enumerable.Repeat("write:0:0x64:4:0:1", 9)), "VALIDATE_DRIVER_ACK: 9 steps, at most 8: shorten the list");
        yield return C("VALIDATE_DRIVER_INIT", "write-status:0:0x20:4:0xff:0", "VALIDATE_DRIVER_INIT: step 'write-status:0:0x20:4:0xff:0': op 'write-status': use write, set-bits or clear-bits (there is no status to write here)");
        yield return C("VALIDATE_DRIVER_INIT", "set-bits:0:0x20:4:0:0x80;set-bits:0:0x21:4:0:0x80", "VALIDATE_DRIVER_INIT: step 'set-bits:0:0x21:4:0:0x80': offset 0x21 is not aligned");
        yield return C("VALIDATE_DRIVER_DISABLE", "clear:0:0x20:4:0x80:0", "VALIDATE_DRIVER_DISABLE: step 'clear:0:0x20:4:0x80:0': op 'clear': use write, set-bits or clear-bits");
        yield return C("VALIDATE_DRIVER_READ_TO_CLEAR", "yes", "VALIDATE_DRIVER_READ_TO_CLEAR='yes': use 1 when the check's register clears itself when read, 0 or empty when it does not");
        yield return C("VALIDATE_DRIVER_QUIESCE", "write:0:0x64:4:0", "VALIDATE_DRIVER_QUIESCE: step 'write:0:0x64:4:0': 5 fields, expected 6");
        yield return C("VALIDATE_DRIVER_RELEASE", "reboot", "VALIDATE_DRIVER_RELEASE='reboot': use quiesce, reset or quiesce-then-reset");
    }

    [TestCaseSource(nameof(Malformed))]
    public void A_malformed_value_is_one_error_naming_the_variable_and_the_fix(string variable, string? value, string says)
    {
        var env = Edu();
        env[variable] = value;
        Assert.That(Parse(env, out var errors), Is.Null);
        Assert.That(errors, Has.Count.EqualTo(1), string.Join("\n", errors));
        Assert.That(errors[0], Does.StartWith(variable).And.Contain(says));
    }

    [TestCase("")]
    [TestCase(null)]
    [TestCase("0,,1")]
    [TestCase("0,32")]
    [TestCase("1,1")]
    [TestCase("x")]
    public void Msix_without_good_vectors_is_one_error_naming_VECTORS(string? vectors)
    {
        var env = Edu();
        env["VALIDATE_DRIVER_MODE"] = "msix";
        env["VALIDATE_DRIVER_VECTORS"] = vectors;
        Assert.That(Parse(env, out var errors), Is.Null);
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith("VALIDATE_DRIVER_VECTORS").And.Contain("e.g. 0,1,2").Or.Contain("list each entry once"));
    }

    [Test]
    public void Several_malformed_values_are_one_error_each()
    {
        var env = Edu();
        env["VALIDATE_DRIVER_MODE"] = "dma";
        env["VALIDATE_DRIVER_ACK"] = "poke:0:0x64:4:0:0";
        env["VALIDATE_DRIVER_RELEASE"] = "never";
        Assert.That(Parse(env, out var errors), Is.Null);
        Assert.That(errors.Select(e => e.Split(['=', ':'])[0]), Is.EqualTo(new[] { "VALIDATE_DRIVER_MODE", "VALIDATE_DRIVER_ACK", "VALIDATE_DRIVER_RELEASE" }));
    }

    [Test]
    public void A_register_outside_what_can_be_mapped_is_an_error_naming_the_variable_step_and_BAR()
    {
        var env = Edu();
        env["VALIDATE_DRIVER_INIT"] = "write:2:0x10:4:0:1";
        env["VALIDATE_DRIVER_DISABLE"] = "write:0:0x1000:4:0:0";
        var s = Parsed(env);
        var errors = s.CheckBars(b => b == 0 ? 4096ul : 16ul, b => b == 2 ? "it is an I/O BAR" : null);
        Assert.That(errors, Is.EqualTo(new[]
        {
            "VALIDATE_DRIVER_INIT: step 'write:2:0x10:4:0:1' is in BAR 2, which cannot be mapped: it is an I/O BAR",
            "VALIDATE_DRIVER_DISABLE: step 'write:0:0x1000:4:0:0' is beyond the end of BAR 0 (4096 bytes): use an offset inside the BAR",
        }));
        Assert.That(s.CheckBars(_ => 8192, _ => null), Is.Empty);
    }
}
