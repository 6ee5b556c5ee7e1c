using System.Globalization;
using Validate.Devices;
using Validate.Interop;
using Validate.Recording;

namespace Validate.Backends;

/// <summary>
/// The interface most user-space drivers of a lab sit on: the card bound to mainline vfio-pci, opened as
/// DPDK or SPDK open it (container, group, device: <see cref="VfioDevice"/>), its BAR mapped through the
/// device's region, its interrupts signalled to one eventfd per vector (VFIO_DEVICE_SET_IRQS): INTx
/// (auto-masked by vfio-pci; the unmask ioctl is part of the measured handler), MSI, or the MSI-X vectors
/// of the suite. The plan's IRQ program runs here, in user space: the check and ack steps after each
/// wake-up, the init steps once the interrupts are set up, the disable steps before they are torn down.
/// Stages: raise-user (CLOCK_MONOTONIC before the raise write to the eventfd read returning: the
/// interrupt path, comparable to valirq's and uio's total), user-done (check, ack and, for INTx, the
/// unmask ioctl: what the driver must do before the next interrupt can come), total (raise to done).
/// Descriptors and the mapping are owned by <see cref="FileDescriptor"/>s and <see cref="MappedBar"/>;
/// <see cref="MeasureOne"/> uses raw numbers cached at open, disposed only after the loop.
/// </summary>
public sealed unsafe class VfioBackend : LatencyBackend
{
    private static readonly string[] StageNames = ["raise-user", "user-done", "total"];

    private readonly string _address;
    private readonly string _mode;
    private readonly ValirqProgram _program;
    private readonly ValirqInit _init;
    private readonly int[] _vectors;
    private readonly ValirqReg _stimulusReg;
    private readonly uint _stimulusValue;
    private readonly int _timeoutMs;
    private readonly uint _index;
    private VfioDevice? _dev;
    private MappedBar? _bar;
    private FileDescriptor[] _eventfds = [];
    private int[] _fds = [];
    private bool[] _ready = [];
    private int _deviceFd = -1;
    private bool _irqsOn;
    private long _next;

    /// <param name="mode">intx, msi or msix.</param>
    /// <param name="vectors">msix: the MSI-X table entries to signal (each its own eventfd); others: ignored.</param>
    public VfioBackend(string pciAddress, string mode, ValirqProgram program, Plans.Stimulus stimulus, long periodNs, int timeoutMs,
        ValirqInit init = default, IReadOnlyList<int>? vectors = null)
        : base(periodNs)
    {
        _address = pciAddress;
        _mode = mode;
        _program = program;
        _init = init;
        _index = IrqIndexOf(mode);
        _vectors = mode == "msix" ? [.. vectors ?? [0]] : [0];
        _stimulusReg = stimulus.Register;
        _stimulusValue = stimulus.Value;
        _timeoutMs = timeoutMs;
    }

    public override IReadOnlyList<string> Stages => StageNames;

    /// <summary>The vfio-pci IRQ index of a mode.</summary>
    public static uint IrqIndexOf(string mode) => mode switch
    {
        "intx" => Vfio.PciIntxIrqIndex,
        "msi" => Vfio.PciMsiIrqIndex,
        "msix" => Vfio.PciMsixIrqIndex,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a vfio mode"),
    };

    public override void Open()
    {
        _dev = VfioDevice.Open(_address);
        _deviceFd = _dev.DeviceNumber;
        var info = _dev.IrqInfo(_index);
        var highest = _vectors.Max();
        if (info.Count <= (uint)highest)
            throw new ValidateException(ExitCodes.SetupError, info.Count == 0
                ? $"{_address}: the card has no {_mode} interrupt (VFIO_DEVICE_GET_IRQ_INFO count 0): use another mode"
                : $"{_address}: the card has {info.Count} {_mode} vector(s), the suite asks for entry {highest}: list vectors below {info.Count}");
        _bar = _dev.MapBar(_stimulusReg.Bar);
        _bar.CheckCovers(_program, _stimulusReg, _bar.Describe);

        // One eventfd per vector, owned; the raw numbers for the loop.
        var n = _mode == "msix" ? highest + 1 : 1;
        var all = new int[n];
        Array.Fill(all, -1);
        _eventfds = new FileDescriptor[_vectors.Length];
        _fds = new int[_vectors.Length];
        _ready = new bool[_vectors.Length];
        for (var i = 0; i < _vectors.Length; i++)
        {
            var fd = VfioSetup.NewEventfd();
            if (fd < 0) throw new InteropException("eventfd", -fd, _address);
            _eventfds[i] = FileDescriptor.Adopt(fd, $"eventfd of {_mode} vector {_vectors[i]}");
            _fds[i] = fd;
            all[_vectors[i]] = fd;
        }
        // Start clean: whatever a previous user left at the card acknowledged; then the signals, then the
        // plan's init steps (the card interrupts only once something listens).
        _bar.CheckAndAck(_program);
        // A message is a memory write of the card's: MSI and MSI-X need bus mastering, which vfio-pci
        // leaves to the user (as DPDK sets it). The IOMMU maps nothing for the card, so no DMA reaches memory.
        if (_index != Vfio.PciIntxIrqIndex) _dev.SetBusMaster(true);
        _dev.SetEventfds(_index, 0, all);
        _irqsOn = true;
        if (!RegisterProgram.Run(_bar, ((ReadOnlySpan<ValirqStep>)_init.Init)[..(int)_init.NInit], 0))
            throw new InteropException("init steps", _bar.LastErrno, _bar.Describe);
        if (_index == Vfio.PciIntxIrqIndex)
            VfioSetup.Unmask(_deviceFd, _index);
        Facts["device"] = _dev.GroupPath;
        Facts["iommuGroup"] = _dev.GroupNumber.ToString(CultureInfo.InvariantCulture);
        Facts["mode"] = _mode switch
        {
            "intx" => "intx (vfio-pci, auto-masked, unmasked by VFIO_DEVICE_SET_IRQS from user space)",
            "msi" => "msi (vfio-pci, eventfd)",
            _ => $"msix (vfio-pci, vectors {string.Join(",", _vectors)}, an eventfd each)",
        };
        Facts["reset"] = _dev.CanReset ? "the function can be reset (vfio-pci resets it on open and release)" : "no reset method (no FLR, PM or bus reset)";
        ResetPacing();
    }

    public override void ResetPacing() => _next = MonotonicClock.NowNs() + PeriodNs;

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
        var r = _fds.Length == 1 ? Posix.PollIn(_fds[0], _timeoutMs) : Posix.PollAnyIn(_fds, _ready, _timeoutMs);
        if (r <= 0)
        {
            if (r == 0) c.Lost++;
            else { c.Errors++; c.LastErrno = -r; }
            _bar.CheckAndAck(_program);
            if (_index == Vfio.PciIntxIrqIndex) VfioSetup.Unmask(_deviceFd, _index);
            return r == 0 ? Outcome.Lost : Outcome.Error;
        }
        // Each readable eventfd's counter is the number of interrupts signalled since its last read.
        ulong interrupts = 0;
        for (var i = 0; i < _fds.Length; i++)
        {
            if (_fds.Length > 1 && !_ready[i]) continue;
            ulong count;
            var n = Posix.ReadReady(_fds[i], &count, 8);
            if (n == 8) interrupts += count;
            else if (n != -Errno.EAGAIN) { c.Errors++; c.LastErrno = n < 0 ? (int)-n : Errno.EIO; }
        }
        var user = MonotonicClock.NowNs();
        if (interrupts == 0)
        {
            c.Errors++;
            c.LastErrno = Errno.EAGAIN;
            return Outcome.Error;
        }
        c.Events++;
        c.Interrupts += (long)interrupts;
        if (interrupts > 1) c.Extra += (long)interrupts - 1;
        _bar.CheckAndAck(_program);
        if (_index == Vfio.PciIntxIrqIndex)
        {
            var e = VfioSetup.Unmask(_deviceFd, _index);
            if (e != 0) { c.Errors++; c.LastErrno = e; }
        }
        var done = MonotonicClock.NowNs();
        GC.KeepAlive(_dev);
        sample.TimestampNs = before;
        sample.Stages[0] = user - before;
        sample.Stages[1] = done - user;
        sample.Stages[2] = done - before;
        return Outcome.Measured;
    }

    protected override void Dispose(bool disposing)
    {
        if (_bar is not null)
        {
            // Leave the card silent, as found: the plan's disable steps, then the interrupts off.
            RegisterProgram.Run(_bar, ((ReadOnlySpan<ValirqStep>)_init.Disable)[..(int)_init.NDisable], 0);
            _bar.CheckAndAck(_program);
        }
        if (_irqsOn && _dev is not null)
        {
            _dev.DisableIrqs(_index);
            if (_index != Vfio.PciIntxIrqIndex) _dev.SetBusMaster(false);
        }
        _irqsOn = false;
        _bar?.Unmap();
        _bar = null;
        foreach (var fd in _eventfds) fd.Dispose();
        _eventfds = [];
        _fds = [];
        _deviceFd = -1;
        _dev?.Dispose();
        _dev = null;
        base.Dispose(disposing);
    }
}
