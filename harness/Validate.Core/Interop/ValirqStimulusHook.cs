namespace Validate.Interop;

/// <summary>
/// valirq's stimulus test hook, /sys/kernel/debug/valirq/ADDRESS/stimulus (root): VALIRQ_IOC_STIMULUS
/// writes a register of the card and returns CLOCK_MONOTONIC right before the write, taken in the kernel
/// with interrupts off. Opened once at set-up; <see cref="Raise"/> is one ioctl on a struct on the stack,
/// allocation-free, for measurement loops. The file goes with the binding (unbind, rmmod) and an
/// open one holds a reference on the valirq module.
/// <para>
/// The descriptor is owned by a <see cref="FileDescriptor"/>; <see cref="Raise"/> uses its raw number,
/// cached at open (see <see cref="FileDescriptor"/>): <see cref="Dispose"/> only when no raise is in flight.
/// </para>
/// </summary>
public sealed unsafe class ValirqStimulusHook : IDisposable
{
    private readonly FileDescriptor _handle;
    private readonly int _fd;

    public string Path { get; }

    private ValirqStimulusHook(FileDescriptor handle)
    {
        _handle = handle;
        _fd = handle.Number;
        Path = handle.Path;
    }

    /// <summary>
    /// Opens the hook of a card bound to valirq. Without debugfs mounted, or without the file: a
    /// <see cref="ValidateException"/> (set-up, exit 4) that names the fix.
    /// </summary>
    public static ValirqStimulusHook Open(string pciAddress)
    {
        var path = ValirqDebugfs.Stimulus(pciAddress);
        if (ValirqDebugfs.Problem(pciAddress, path) is { } problem) throw new ValidateException(ExitCodes.SetupError, problem);
        var handle = FileDescriptor.Open(path, OpenMode.ReadWrite);
        try
        {
            return new ValirqStimulusHook(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="value"/> to <paramref name="reg"/>; returns CLOCK_MONOTONIC ns right before the write, or -errno (EPERM: the opener was revoked).</summary>
    public long Raise(in ValirqReg reg, uint value)
    {
        var arg = new ValirqStimulus { Reg = reg, Value = value };
        var r = LoopCalls.IoctlShort(_fd, ValirqIoc.Stimulus, &arg);
        GC.KeepAlive(_handle);
        return r < 0 ? r : (long)arg.BeforeNs;
    }

    public void Dispose() => _handle.Dispose();
}
