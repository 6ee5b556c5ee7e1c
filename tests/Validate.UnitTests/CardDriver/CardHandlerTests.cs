using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NUnit.Framework;
using Validate.CardDriver;
using Validate.Interop;
using static Tmds.Linux.LibC;

namespace Validate.UnitTests.CardDriver;

/// <summary>
/// The card driver's handling of one interrupt, without a device: a BAR in memory, a re-arm that says what
/// valirq would, the channel's lines read back from a file. Status from the check or (read-to-clear) from
/// the event, ack steps run with it, EAGAIN read again and or-ed in, the 7-field irq line, and no allocation.
/// </summary>
[NonParallelizable]
public unsafe class CardHandlerTests
{
    private const uint IrqStatus = 0x24, IrqAck = 0x64;

    private byte* _bar;
    private string _out = "";
    private SafeFileHandle? _file;

    [SetUp]
    public void MapBar()
    {
        _bar = (byte*)NativeMemory.AllocZeroed(4096);
        _out = Path.Combine(Path.GetTempPath(), $"validate-card-driver-{Guid.NewGuid():N}.out");
        _file = File.OpenHandle(_out, FileMode.Create, FileAccess.ReadWrite);
        Channel.OutFd = (int)_file.DangerousGetHandle();
    }

    [TearDown]
    public void UnmapBar()
    {
        Channel.OutFd = 1;
        _file?.Dispose();
        File.Delete(_out);
        NativeMemory.Free(_bar);
    }

    private ref uint Reg(uint offset) => ref *(uint*)(_bar + offset);

    private string[] Lines() => File.ReadAllLines(_out);

    /// <summary>The edu card's programs (testplans/qemu/edu.json) as the harness passes them.</summary>
    private CardHandler Edu(bool readToClear = false, string ack = "write-status:0:0x64:4:0xffffffff:0")
    {
        var env = new Dictionary<string, string?>
        {
            ["VALIDATE_DRIVER_DEVICE"] = "/dev/valirq-0000:00:04.0", ["VALIDATE_DRIVER_PCI"] = "0000:00:04.0",
            ["VALIDATE_DRIVER_CHECK"] = "read-ne:0:0x24:4:0xffffffff:0", ["VALIDATE_DRIVER_ACK"] = ack,
            ["VALIDATE_DRIVER_READ_TO_CLEAR"] = readToClear ? "1" : "",
        };
        var s = DriverSettings.Parse(v => env.GetValueOrDefault(v), out var errors);
        Assert.That(errors, Is.Empty);
        var bars = default(CardBars);
        bars.Set(0, _bar, 4096);
        return new CardHandler(s!, bars, statusFromEvent: readToClear);
    }

    /// <summary>valirq's ACK: the errnos it is told to return, in order, then 0; on each call it may raise more (a write to the status).</summary>
    private struct FakeRearm(params int[] errnos) : IRearm
    {
        public int Calls;
        public uint* RaiseOnFirst;
        public uint RaiseBits;

        public int Rearm()
        {
            if (Calls == 0 && RaiseOnFirst != null) *RaiseOnFirst |= RaiseBits;
            return Calls < (errnos?.Length ?? 0) ? errnos![Calls++] : Ret();  // new FakeRearm() leaves errnos null
        }

        private int Ret()
        {
            Calls++;
            return 0;
        }
    }

    private static ValirqEvent Event(uint status = 0, uint vector = 0) => new() { Count = 1, HardirqNs = 1234, Status = status, Vector = vector };

    [Test]
    public void An_interrupt_is_read_acknowledged_with_what_was_read_and_reported_with_its_vector()
    {
        var h = Edu();
        Reg(IrqStatus) = 0x21;
        var rearm = new FakeRearm();
        Assert.That(h.Serve(ref rearm, Event(vector: 3)), Is.EqualTo(Served.Ok));
        Assert.That((Reg(IrqAck), rearm.Calls), Is.EqualTo((0x21u, 1)));
        var f = Lines().Single().Split(' ');
        Assert.That(f, Has.Length.EqualTo(7));
        Assert.That((f[0], f[1], f[2], f[5], f[6]), Is.EqualTo(("irq", "0x21", "1234", "1", "3")));
        Assert.That(long.Parse(f[4]), Is.GreaterThanOrEqualTo(long.Parse(f[3])), "DONE_NS after READ_NS");
    }

    [Test]
    public void A_read_to_clear_status_comes_from_the_event_and_the_register_is_not_read()
    {
        var h = Edu(readToClear: true);
        Reg(IrqStatus) = 0x80; // what the register holds after valirq's read: not what the driver reports
        var rearm = new FakeRearm();
        Assert.That(h.Serve(ref rearm, Event(status: 0x4)), Is.EqualTo(Served.Ok));
        Assert.That(Reg(IrqAck), Is.EqualTo(0x4u));
        Assert.That(Lines().Single(), Does.StartWith("irq 0x4 1234 "));
    }

    [Test]
    public void On_msix_each_vector_reports_and_acknowledges_only_the_status_bits_it_serves()
    {
        var env = new Dictionary<string, string?>
        {
            ["VALIDATE_DRIVER_DEVICE"] = "/dev/valirq-0000:00:04.0", ["VALIDATE_DRIVER_PCI"] = "0000:00:04.0", ["VALIDATE_DRIVER_MODE"] = "msix",
            ["VALIDATE_DRIVER_VECTORS"] = "0,1", ["VALIDATE_DRIVER_CHECK"] = "read-ne:0:0x24:4:0xf00000:0", ["VALIDATE_DRIVER_ACK"] = "write-status:0:0x64:4:0xf00000:0",
            ["VALIDATE_DRIVER_READ_TO_CLEAR"] = "1", ["VALIDATE_DRIVER_VECTOR_STATUS"] = "0x100000,0x200000",
        };
        var s = DriverSettings.Parse(v => env.GetValueOrDefault(v), out var errors);
        Assert.That(errors, Is.Empty);
        var bars = default(CardBars);
        bars.Set(0, _bar, 4096);
        var h = new CardHandler(s!, bars, statusFromEvent: true);
        var rearm = new FakeRearm();
        // Vector 0's check saw both causes (the register is shared); it serves RxQ0 only, vector 1 the other.
        Assert.That(h.Serve(ref rearm, Event(status: 0x300000, vector: 0)), Is.EqualTo(Served.Ok));
        Assert.That(Reg(IrqAck), Is.EqualTo(0x100000u));
        Assert.That(h.Serve(ref rearm, Event(status: 0x300000, vector: 1)), Is.EqualTo(Served.Ok));
        Assert.That(Reg(IrqAck), Is.EqualTo(0x200000u));
        Assert.That(Lines().Select(l => l.Split(' ')[1] + "/" + l.Split(' ')[6]), Is.EqualTo(new[] { "0x100000/0", "0x200000/1" }));
        env["VALIDATE_DRIVER_VECTOR_STATUS"] = "0x100000,zero";
        Assert.That(DriverSettings.Parse(v => env.GetValueOrDefault(v), out errors), Is.Null);
        Assert.That(errors.Single(), Does.StartWith("VALIDATE_DRIVER_VECTOR_STATUS='0x100000,zero': entry 1 'zero' is not a non-zero mask"));
        env["VALIDATE_DRIVER_MODE"] = "msi";
        env["VALIDATE_DRIVER_VECTORS"] = "";
        env["VALIDATE_DRIVER_VECTOR_STATUS"] = "0x1";
        Assert.That(DriverSettings.Parse(v => env.GetValueOrDefault(v), out errors), Is.Null);
        Assert.That(errors.Single(), Does.Contain("is for mode msix only"));
    }

    [Test]
    public void When_the_card_raised_again_after_the_read_the_driver_reads_again_acknowledges_and_reports_both()
    {
        foreach (var rtc in new[] { false, true })
        {
            var h = Edu(readToClear: rtc);
            Reg(IrqStatus) = rtc ? 0 : 0x1u;
            Reg(IrqAck) = 0;
            var rearm = new FakeRearm(EAGAIN) { RaiseOnFirst = (uint*)(_bar + IrqStatus), RaiseBits = 0x4 };
            Assert.That(h.Serve(ref rearm, Event(status: rtc ? 0x1u : 0)), Is.EqualTo(Served.Ok));
            Assert.That(rearm.Calls, Is.EqualTo(2), "ACK again after the second acknowledgement");
            Assert.That(Reg(IrqAck), Is.EqualTo(rtc ? 0x4u : 0x5u), "the second read acknowledged");
            Assert.That(Lines().Last(), Does.StartWith("irq 0x5 1234 "), $"read-to-clear {rtc}: both reads reported");
        }
    }

    [Test]
    public void A_card_the_ack_steps_never_silence_is_an_error_naming_VALIDATE_DRIVER_ACK()
    {
        var h = Edu(ack: "");
        Reg(IrqStatus) = 0x1;
        var rearm = new FakeRearm([.. Enumerable.Repeat(EAGAIN, 100)]);
        Assert.That(() => h.Serve(ref rearm, Event()), Throws.TypeOf<DriverException>().With.Message.Contains("VALIDATE_DRIVER_ACK"));
        Assert.That(rearm.Calls, Is.EqualTo(CardHandler.MaxRearms));
    }

    [Test]
    public void Revoked_and_gone_say_so_and_a_status_read_before_the_revocation_is_reported_unconfirmed()
    {
        var h = Edu();
        var perm = new FakeRearm(EPERM);
        Assert.That(h.Serve(ref perm, Event()), Is.EqualTo(Served.Revoked));
        Assert.That(Lines(), Is.Empty, "status 0 after a revocation is the scratch page: nothing reported");
        Reg(IrqStatus) = 0x2;
        perm = new FakeRearm(EPERM);
        Assert.That(h.Serve(ref perm, Event()), Is.EqualTo(Served.Revoked));
        var gone = new FakeRearm(ENODEV);
        Assert.That(h.Serve(ref gone, Event()), Is.EqualTo(Served.Gone));
        var lines = Lines();
        Assert.That(lines[0], Does.StartWith("irq-revoked 0x2 1234 "), "read from the card, its ack perhaps lost with it: said as such");
        Assert.That(lines[1], Does.StartWith("gone ").And.EndWith($" {ENODEV}"));
    }

    [Test]
    public void Pending_work_at_start_is_acknowledged_and_reported_and_a_silent_card_is_not()
    {
        var h = Edu();
        h.HandlePending();
        Assert.That(Lines(), Is.Empty);
        Reg(IrqStatus) = 0x10;
        h.HandlePending();
        Assert.That(Reg(IrqAck), Is.EqualTo(0x10u));
        var f = Lines().Single().Split(' ');
        Assert.That((f[0], f[1], f[2], f[5], f[6]), Is.EqualTo(("irq", "0x10", "0", "0", "0")));
    }

    [Test]
    public void The_warm_up_runs_the_handling_path_on_scratch_memory_and_reports_nothing()
    {
        var h = Edu();
        Reg(IrqStatus) = 0x8;
        var env = new Dictionary<string, string?>
        {
            ["VALIDATE_DRIVER_DEVICE"] = "/dev/valirq-0000:00:04.0", ["VALIDATE_DRIVER_PCI"] = "0000:00:04.0",
            ["VALIDATE_DRIVER_CHECK"] = "read-eq:2:0x1000:2:0xff:0x5", ["VALIDATE_DRIVER_ACK"] = "write-status:2:0x1002:2:0xff:0;set-bits:0:0x64:4:0:1",
        };
        var s = DriverSettings.Parse(v => env.GetValueOrDefault(v), out var errors)!;
        Assert.That(errors, Is.Empty);
        Assert.That((s.Bars, s.Extent(2), s.Extent(0)), Is.EqualTo((new[] { 0, 2 }, 0x1004ul, 0x68ul)));
        var fd = Channel.OutFd;
        var rearm = new FakeRearm();
        CardHandler.WarmUp(s, rearm, statusFromEvent: false);
        Assert.That((Channel.OutFd, Lines().Length, Reg(IrqStatus), Reg(IrqAck)), Is.EqualTo((fd, 0, 0x8u, 0u)), "nothing said, the card untouched");
        Assert.That(h.Serve(ref rearm, Event()), Is.EqualTo(Served.Ok));
        Assert.That(Lines().Single(), Does.StartWith("irq 0x8 "));
    }

    [Test]
    public void The_handling_loop_allocates_nothing()
    {
        var h = Edu();
        var rearm = new FakeRearm();
        var again = new FakeRearm(EAGAIN) { RaiseOnFirst = (uint*)(_bar + IrqStatus), RaiseBits = 0x4 };
        var ev = Event(vector: 7);
        // Warm up: JIT, first use of the formatter.
        for (int i = 0; i < 1000; i++)
        {
            Reg(IrqStatus) = 1u << (i % 32);
            h.Serve(ref rearm, ev);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            Reg(IrqStatus) = 1u << (i % 32);
            h.Serve(ref rearm, ev);
            if (i % 100 == 0)
            {
                again.Calls = 0;
                h.Serve(ref again, ev);
                h.HandlePending();
            }
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }
}
