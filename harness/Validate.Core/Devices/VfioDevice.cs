using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// A PCI function opened through VFIO by the engine (<see cref="VfioSetup"/>), its descriptors owned:
/// the device, its group and the container, closed in that order on dispose (closing the device is what
/// runs vfio-pci's release: interrupts off, bus mastering off, the function reset when it can be).
/// A set-up failure is a <see cref="ValidateException"/> with the fix (exit 4).
/// </summary>
public sealed unsafe class VfioDevice : IDisposable
{
    private VfioSetup _v;
    private FileDescriptor? _device, _group, _container;

    public string Address { get; }
    public int GroupNumber => _v.GroupNumber;
    public string GroupPath => $"/dev/vfio/{_v.GroupNumber}";

    /// <summary>The raw device descriptor, for the owner's hot path (<see cref="FileDescriptor"/>'s contract); -1 once closed.</summary>
    public int DeviceNumber => _device?.Number ?? -1;

    /// <summary>The function can be reset (VFIO_DEVICE_FLAGS_RESET): vfio-pci resets it on open and on release.</summary>
    public bool CanReset => (_v.Info.Flags & Vfio.DeviceFlagsReset) != 0;

    private VfioDevice(string address, VfioSetup v)
    {
        Address = address;
        _v = v;
        // Owned from here: disposed in reverse order of opening.
        _container = FileDescriptor.Adopt(v.Container, "/dev/vfio/vfio");
        _group = FileDescriptor.Adopt(v.Group, $"/dev/vfio/{v.GroupNumber}");
        _device = FileDescriptor.Adopt(v.Device, $"{address} (VFIO device)");
    }

    public static VfioDevice Open(string address)
    {
        if (!VfioSetup.Open(address, out var v, out var error))
            throw new ValidateException(ExitCodes.SetupError, error);
        return new VfioDevice(address, v);
    }

    /// <summary>How many interrupts of an index the function has (0: none), and whether they are auto-masked.</summary>
    public VfioIrqInfo IrqInfo(uint index) =>
        _v.IrqInfo(index, out var info, out var e) ? info : throw new InteropException("VFIO_DEVICE_GET_IRQ_INFO", e, Address);

    /// <summary>Maps memory BAR <paramref name="bar"/> through the device's region (VFIO_DEVICE_GET_REGION_INFO and mmap).</summary>
    public MappedBar MapBar(int bar)
    {
        if (!_v.RegionInfo(Vfio.PciBar0RegionIndex + (uint)bar, out var region, out var e))
            throw new InteropException("VFIO_DEVICE_GET_REGION_INFO", e, $"{Address} BAR {bar}");
        if ((region.Flags & Vfio.RegionInfoFlagMmap) == 0 || region.Size == 0)
            throw new ValidateException(ExitCodes.SetupError,
                $"{Address}: BAR {bar} cannot be mapped through VFIO (size {region.Size}, flags 0x{region.Flags:x}): the plan's registers must be in a memory BAR");
        var map = MappedMemory.Map(_device!, (nuint)region.Size, (long)region.Offset, $"mmap of BAR {bar} (VFIO region at 0x{region.Offset:x})");
        try
        {
            return new MappedBar(map, bar, $"{Address} BAR {bar} (VFIO)");
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>Signals interrupts start.. of an index to the eventfds (enabling the index); throws with errno.</summary>
    public void SetEventfds(uint index, uint start, ReadOnlySpan<int> eventfds)
    {
        var e = _v.SetEventfds(index, start, eventfds);
        if (e != 0) throw new InteropException($"VFIO_DEVICE_SET_IRQS (index {index}, {eventfds.Length} eventfds)", e, Address);
    }

    /// <summary>Disables an index (no more signals); errno, 0 when done.</summary>
    public int DisableIrqs(uint index) => _device is null ? 0 : _v.SetEventfds(index, 0, []);

    /// <summary>Bus mastering on or off (the config region's command register); throws with errno.</summary>
    public void SetBusMaster(bool on)
    {
        var e = on ? _v.UpdateCommand(VfioSetup.CommandBusMaster, 0) : _v.UpdateCommand(0, VfioSetup.CommandBusMaster);
        if (e != 0) throw new InteropException("bus mastering through the VFIO config region", e, Address);
    }

    /// <summary>VFIO_DEVICE_RESET: 0, or errno.</summary>
    public int Reset() => _v.Reset();

    public void Dispose()
    {
        _device?.Dispose();
        _device = null;
        _group?.Dispose();
        _group = null;
        _container?.Dispose();
        _container = null;
    }
}
