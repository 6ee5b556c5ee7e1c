using System.Globalization;
using Validate.Devices;
using Validate.Interop;
using Validate.Recording;

namespace Validate.Backends;

/// <summary>
/// Interrupts through our module valirq: the stimulus ioctl (on valirq's debugfs stimulus hook, opened
/// once at set-up) writes the card's raise register and returns CLOCK_MONOTONIC right before the write;
/// the event record carries the kernel's timestamps of the hard IRQ and the IRQ thread; the user-side
/// time is taken right after read() returns. Stages: raise-hardirq, hardirq-thread, thread-user, and
/// total (raise to user).
/// </summary>
public sealed class ValirqBackend : LatencyBackend
{
    private static readonly string[] StageNames = ["raise-hardirq", "hardirq-thread", "thread-user", "total"];
    private readonly string _address;
    private readonly string _mode;
    private readonly ValirqProgram _program;
    private readonly ValirqQuiesce _quiesce;
    private readonly ValirqInit _init;
    private readonly uint _vectors;
    private readonly ValirqReg _stimulusReg;
    private readonly uint _stimulusValue;
    private readonly int _timeoutMs;
    private ValirqDevice? _dev;
    private ValirqStimulusHook? _stim;
    private MappedBar? _bar;      // intx-pci23 only: the card acknowledged from user space
    private long _next;

    public ValirqBackend(string pciAddress, string mode, ValirqProgram program, ValirqQuiesce quiesce, Plans.Stimulus stimulus, long periodNs, int timeoutMs,
        ValirqInit init = default, uint vectors = 0)
        : base(periodNs)
    {
        _address = pciAddress;
        _mode = mode;
        _program = program;
        _quiesce = quiesce;
        _init = init;
        _vectors = vectors;
        _stimulusReg = stimulus.Register;
        _stimulusValue = stimulus.Value;
        _timeoutMs = timeoutMs;
    }

    public override IReadOnlyList<string> Stages => StageNames;

    public static uint ModeNumber(string mode) => mode switch
    {
        "msi" => Valirq.ModeMsi,
        "msix" => Valirq.ModeMsix,
        "intx-exclusive" => Valirq.ModeIntxExclusive,
        "intx-shared" or "intx-pci23" => Valirq.ModeIntxShared,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a valirq mode"),
    };

    public override void Open()
    {
        var path = ValirqDevice.PathOf(_address);
        // The stimulus hook first: without debugfs the suite stops here, with the fix, before touching the card.
        _stim = ValirqStimulusHook.Open(_address);
        _dev = ValirqDevice.Open(path);
        var info = _dev.Info();
        if (_quiesce.Policy == Valirq.ReleaseReset && (info.Flags & Valirq.InfoReset) == 0)
            throw new InteropException("release policy reset", Errno.EINVAL,
                $"{path}: the card has no reset method (valirq INFO flags 0x{info.Flags:x}), so the plan's \"release\": \"reset\" cannot work; use quiesce or quiesce-then-reset");
        if (_mode == "msi" && info.MsiCapable == 0)
            throw new InteropException("mode msi", Errno.EINVAL, $"{path}: the card has no MSI capability; use an intx mode");
        if (_mode == "msix" && info.MsixVectors == 0)
            throw new InteropException("mode msix", Errno.EINVAL, $"{path}: the card has no MSI-X capability; use msi or an intx mode");
        if (_mode == "msix" && info.MsixVectors < 32 && _vectors >> info.MsixVectors != 0)
            throw new InteropException("mode msix", Errno.EINVAL, $"{path}: the suite's vectors (mask 0x{_vectors:x}) go beyond the card's MSI-X table of {info.MsixVectors} entries; use entries 0 to {info.MsixVectors - 1}");
        if (_mode == "intx-pci23" && info.IntxMaskCapable == 0)
            throw new InteropException("mode intx-pci23", Errno.EINVAL, $"{path}: the card does not support the PCI 2.3 Interrupt Disable bit; use intx-shared with mask steps");
        if (_mode == "intx-pci23")
        {
            // No program in the kernel: valirq masks with the PCI 2.3 Interrupt Disable bit, and the
            // driver (we) acknowledges the card through the BAR before re-arming, as a uio driver does.
            var bar = _stimulusReg.Bar;
            _bar = new MappedBar(_dev.MapBar(bar, info.Bars[bar]), bar, $"{path} BAR {bar}");
            _bar.CheckCovers(_program, _stimulusReg, path);
        }
        else
        {
            _dev.SetProgram(_program);
        }
        _dev.SetQuiesce(_quiesce);
        if (_init.NInit + _init.NDisable > 0) _dev.SetInit(_init);
        _dev.Enable(ModeNumber(_mode), 0, _vectors);
        Facts["device"] = path;
        Facts["mode"] = _mode;
        if (_mode == "msix") Facts["vectors"] = string.Join(",", Enumerable.Range(0, 32).Where(v => (_vectors & (1u << v)) != 0));
        if ((_program.Flags & Valirq.ProgReadToClear) != 0)
            Facts["readToClear"] = _mode == "intx-pci23" ? "the check register is read once, by the reader" : "the check register is read once, in the hard IRQ handler";
        // What the card raised before anyone measured (a cause left pending, which the init steps' enable
        // delivers at once): served now, or every measured event would be the one before it.
        var pending = 0;
        while (pending < Valirq.RingSize && _dev.WaitEvent(20, out _) > 0)
        {
            pending++;
            _bar?.CheckAndAck(_program);
            _dev.Ack();
        }
        Facts["pendingAtEnable"] = pending.ToString(CultureInfo.InvariantCulture);
        Facts["legacyIrq"] = info.LegacyIrq.ToString(CultureInfo.InvariantCulture);
        Facts["msiCapable"] = (info.MsiCapable != 0).ToString();
        Facts["release"] = Plans.PlanValidator.ReleaseName(_quiesce.Policy) + ((info.Flags & Valirq.InfoReset) == 0 ? " (the card has no reset method)" : "");
        ResetPacing();
    }

    public override void ResetPacing() => _next = MonotonicClock.NowNs() + PeriodNs;

    public override Outcome MeasureOne(ref Sample sample)
    {
        var dev = _dev!;
        var stim = _stim!;
        if (PeriodNs > 0)
        {
            MonotonicClock.SleepUntil(_next);
            _next += PeriodNs;
        }
        var c = Counters;
        var before = stim.Raise(_stimulusReg, _stimulusValue);
        if (before < 0)
        {
            c.Errors++;
            c.LastErrno = (int)-before;
            return Outcome.Error;
        }
        c.Stimuli++;
        var r = dev.WaitEvent(_timeoutMs, out var ev);
        var user = MonotonicClock.NowNs();
        // An interrupt the kernel took before this raise was made is not its answer: an extra one (served
        // and counted as such); the raise's own comes next. Taking it for the answer would measure every
        // later raise against the interrupt before it.
        for (int stale = 0; r > 0 && (long)ev.HardirqNs < before && stale < 4; stale++)
        {
            c.Extra++;
            c.Interrupts += ev.Count;
            _bar?.CheckAndAck(_program);
            dev.Ack();
            r = dev.WaitEvent(_timeoutMs, out ev);
            user = MonotonicClock.NowNs();
        }
        if (r <= 0)
        {
            if (r == 0) c.Lost++;
            else { c.Errors++; c.LastErrno = -r; }
            _bar?.CheckAndAck(_program);
            dev.Ack();
            return r == 0 ? Outcome.Lost : Outcome.Error;
        }
        c.Events++;
        c.Interrupts += ev.Count;
        if (ev.Count > 1) c.Extra += ev.Count - 1;
        c.Overruns += ev.Overruns;
        sample.TimestampNs = before;
        sample.Stages[0] = (long)ev.HardirqNs - before;
        sample.Stages[1] = (long)(ev.ThreadNs - ev.HardirqNs);
        sample.Stages[2] = user - (long)ev.ThreadNs;
        sample.Stages[3] = user - before;
        _bar?.CheckAndAck(_program);
        var a = dev.Ack();
        if (a != 0)
        {
            c.Errors++;
            c.LastErrno = -a;
        }
        return Outcome.Measured;
    }

    protected override void Dispose(bool disposing)
    {
        // Closing the file runs the plan's quiesce program in the kernel and frees the IRQ.
        _bar?.Unmap();
        _bar = null;
        _dev?.Dispose();
        _dev = null;
        _stim?.Dispose();
        _stim = null;
        base.Dispose(disposing);
    }
}
