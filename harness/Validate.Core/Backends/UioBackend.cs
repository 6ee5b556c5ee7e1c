using Validate.Devices;
using Validate.Interop;
using Validate.Recording;

namespace Validate.Backends;

/// <summary>
/// The mainline baseline: the card bound to uio_pci_generic. Its IRQ handler masks INTx with the PCI 2.3
/// Interrupt Disable bit and never unmasks it, so after each interrupt user space acknowledges the card
/// (the plan's IRQ program: check and ack steps, run here on the BAR mapped through sysfs resourceN) and
/// clears Interrupt Disable (bit 10 of the command register) through the sysfs config file. Measures one
/// stage, total: CLOCK_MONOTONIC before the raise write to after read() of /dev/uioN returns.
/// The descriptors are owned by <see cref="FileDescriptor"/>s; <see cref="MeasureOne"/> uses their raw
/// numbers, cached at open (see <see cref="FileDescriptor"/>): disposed only after the loop.
/// </summary>
public sealed unsafe class UioBackend : LatencyBackend
{
    private static readonly string[] StageNames = ["total"];

    private readonly string _address;
    private readonly ValirqProgram _program;
    private readonly ValirqInit _init;
    private readonly ValirqReg _stimulusReg;
    private readonly uint _stimulusValue;
    private readonly int _timeoutMs;
    private FileDescriptor? _uio, _config;
    private int _uioFd = -1, _configFd = -1;
    private MappedBar? _bar;
    private uint _uioCount;
    private long _next;

    public UioBackend(string pciAddress, ValirqProgram program, Plans.Stimulus stimulus, long periodNs, int timeoutMs, ValirqInit init = default) : base(periodNs)
    {
        _address = pciAddress;
        _program = program;
        _init = init;
        _stimulusReg = stimulus.Register;
        _stimulusValue = stimulus.Value;
        _timeoutMs = timeoutMs;
    }

    public override IReadOnlyList<string> Stages => StageNames;

    public override void Open()
    {
        var sysfs = $"/sys/bus/pci/devices/{_address}";
        var uioDir = Path.Combine(sysfs, "uio");
        if (!Directory.Exists(uioDir))
            throw new InteropException("find uio device", Errno.ENODEV, $"{sysfs}: not bound to uio_pci_generic (no uio/ directory)");
        var uio = Directory.GetDirectories(uioDir).Select(Path.GetFileName).First()!;
        var barIndex = _stimulusReg.Bar;
        _uio = FileDescriptor.Open($"/dev/{uio}", OpenMode.ReadWrite);
        _uioFd = _uio.Number;
        _config = FileDescriptor.Open(Path.Combine(sysfs, "config"), OpenMode.ReadWrite);
        _configFd = _config.Number;
        _bar = MappedBar.MapSysfsResource(_address, barIndex);
        _bar.CheckCovers(_program, _stimulusReg, Path.Combine(sysfs, $"resource{barIndex}"));
        // Start clean: whatever a previous user left at the card acknowledged, the line unmasked; then
        // the plan's init steps make the card interrupt at all (there is no kernel to run them on uio).
        Acknowledge();
        SetInterruptDisable(false);
        if (!RegisterProgram.Run(_bar, ((ReadOnlySpan<ValirqStep>)_init.Init)[..(int)_init.NInit], 0))
            throw new InteropException("init steps", _bar.LastErrno, _bar.Describe);
        Facts["device"] = $"/dev/{uio}";
        Facts["mode"] = "intx (uio_pci_generic, PCI 2.3 masking, re-armed from user space)";
        ResetPacing();
    }

    public override void ResetPacing() => _next = MonotonicClock.NowNs() + PeriodNs;

    private bool Acknowledge() => _bar!.CheckAndAck(_program);

    private int SetInterruptDisable(bool disable)
    {
        ushort cmd;
        var n = Posix.Pread(_configFd, &cmd, 2, PciConfig.Command);
        if (n != 2) return n < 0 ? (int)n : -Errno.EIO;
        cmd = disable ? (ushort)(cmd | PciConfig.CommandIntxDisable) : (ushort)(cmd & ~PciConfig.CommandIntxDisable);
        n = Posix.Pwrite(_configFd, &cmd, 2, PciConfig.Command);
        GC.KeepAlive(_config);
        return n == 2 ? 0 : n < 0 ? (int)n : -Errno.EIO;
    }

    public override Outcome MeasureOne(ref Sample sample)
    {
        var c = Counters;
        if (PeriodNs > 0)
        {
            MonotonicClock.SleepUntil(_next);
            _next += PeriodNs;
        }
        var before = MonotonicClock.NowNs();
        _bar!.Write(_stimulusReg, _stimulusValue);
        c.Stimuli++;
        var r = Posix.PollIn(_uioFd, _timeoutMs);
        if (r <= 0)
        {
            if (r == 0) c.Lost++;
            else { c.Errors++; c.LastErrno = -r; }
            Acknowledge();
            SetInterruptDisable(false);
            return r == 0 ? Outcome.Lost : Outcome.Error;
        }
        uint count;
        var n = Posix.ReadReady(_uioFd, &count, 4);
        var user = MonotonicClock.NowNs();
        GC.KeepAlive(_uio);
        if (n != 4)
        {
            c.Errors++;
            c.LastErrno = n < 0 ? (int)-n : Errno.EIO;
            return Outcome.Error;
        }
        c.Events++;
        var delta = _uioCount == 0 ? 1 : count - _uioCount;
        _uioCount = count;
        c.Interrupts += delta;
        if (delta > 1) c.Extra += delta - 1;
        sample.TimestampNs = before;
        sample.Stages[0] = user - before;
        Acknowledge();
        var e = SetInterruptDisable(false);
        if (e != 0) { c.Errors++; c.LastErrno = -e; }
        return Outcome.Measured;
    }

    protected override void Dispose(bool disposing)
    {
        if (_bar is not null)
        {
            // Leave the card silent and its line unmasked, as found: the plan's disable steps first.
            RegisterProgram.Run(_bar, ((ReadOnlySpan<ValirqStep>)_init.Disable)[..(int)_init.NDisable], 0);
            Acknowledge();
            SetInterruptDisable(false);
            _bar.Unmap();
            _bar = null;
        }
        _uio?.Dispose();
        _uio = null;
        _uioFd = -1;
        _config?.Dispose();
        _config = null;
        _configFd = -1;
        base.Dispose(disposing);
    }
}
