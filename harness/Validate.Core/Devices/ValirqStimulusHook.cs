using System.Runtime.InteropServices;
using System.Text;
using Validate.Interop;
using static Tmds.Linux.LibC;

namespace Validate.Devices;

/// <summary>
/// valirq's stimulus test hook, /sys/kernel/debug/valirq/ADDRESS/stimulus (root): VALIRQ_IOC_STIMULUS
/// writes a register of the card and returns CLOCK_MONOTONIC right before the write, taken in the kernel
/// with interrupts off. Opened once at set-up; <see cref="Raise"/> is one ioctl on a struct in native
/// memory, allocation-free, for measurement loops. The file goes with the binding (unbind, rmmod) and an
/// open one holds a reference on the valirq module.
/// </summary>
public sealed unsafe class ValirqStimulusHook : IDisposable
{
    private int _fd;
    private readonly ValirqStimulus* _arg;

    public string Path { get; }

    private ValirqStimulusHook(string path, int fd)
    {
        Path = path;
        _fd = fd;
        _arg = (ValirqStimulus*)NativeMemory.AllocZeroed((nuint)sizeof(ValirqStimulus));
    }

    /// <summary>
    /// Opens the hook of a card bound to valirq. Without debugfs mounted, or without the file: a
    /// <see cref="ValidateException"/> (set-up, exit 4) that names the fix.
    /// </summary>
    public static ValirqStimulusHook Open(string pciAddress)
    {
        var path = ValirqDebugfs.Stimulus(pciAddress);
        if (ValirqDebugfs.Problem(pciAddress, path) is { } problem) throw new ValidateException(ExitCodes.SetupError, problem);
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = bytes) fd = open(p, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0) throw new InteropException("open(O_RDWR)", errno, path);
        return new ValirqStimulusHook(path, fd);
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="reg"/>; returns CLOCK_MONOTONIC ns right before the write, or -errno (EPERM: the opener was revoked).</summary>
    public long Raise(in ValirqReg reg, uint value)
    {
        _arg->Reg = reg;
        _arg->Value = value;
        _arg->Reserved = 0;
        if (ioctl(_fd, unchecked((int)ValirqIoc.Stimulus), _arg) != 0) return -errno;
        return (long)_arg->BeforeNs;
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        _ = close(_fd);
        _fd = -1;
        NativeMemory.Free(_arg);
    }
}
