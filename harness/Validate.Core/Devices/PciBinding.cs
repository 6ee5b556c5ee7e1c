using System.Diagnostics;
using Validate.Interop;

namespace Validate.Devices;

/// <summary>
/// Binds a PCI function to a driver the way a lab does, through driver_override and drivers_probe, and
/// puts the previous driver back on dispose so that a run leaves the machine as it found it.
/// </summary>
public sealed class PciBinding : IDisposable
{
    private readonly string _sysfs;
    private readonly string? _previous;
    private readonly bool _changed;

    public string Address { get; }
    public string Driver { get; }

    private PciBinding(string address, string driver, string? previous, bool changed)
    {
        Address = address;
        Driver = driver;
        _previous = previous;
        _changed = changed;
        _sysfs = Path.Combine(PciDevice.SysfsRoot, address);
    }

    public static string? CurrentDriver(string address)
    {
        var link = Path.Combine(PciDevice.SysfsRoot, address, "driver");
        return Directory.Exists(link) ? Path.GetFileName(new DirectoryInfo(link).ResolveLinkTarget(true)?.FullName) : null;
    }

    /// <summary>Makes <paramref name="driver"/> the card's driver (no change when it already is) and waits for its device node.</summary>
    public static PciBinding Bind(string address, string driver, TimeSpan? wait = null)
    {
        var previous = CurrentDriver(address);
        if (previous == driver) return new PciBinding(address, driver, previous, changed: false);
        Rebind(address, driver);
        var binding = new PciBinding(address, driver, previous, changed: true);
        binding.WaitForNode(wait ?? TimeSpan.FromSeconds(5));
        return binding;
    }

    private static void Rebind(string address, string? driver)
    {
        var sysfs = Path.Combine(PciDevice.SysfsRoot, address);
        if (!Directory.Exists(sysfs))
            throw new ValidateException(ExitCodes.SetupError, $"{sysfs}: no such PCI function; check card:address in the plan (validate devices lists the cards)");
        try
        {
            File.WriteAllText(Path.Combine(sysfs, "driver_override"), (driver ?? "") + "\n");
            if (Directory.Exists(Path.Combine(sysfs, "driver")))
                File.WriteAllText(Path.Combine(sysfs, "driver", "unbind"), address);
            File.WriteAllText(Path.Combine(PciDevice.SysfsRoot, "..", "drivers_probe"), address);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ValidateException(ExitCodes.SetupError,
                $"binding {address} to {driver}: {e.Message}; is the driver loaded (modprobe {driver}) and are we root?");
        }
        if (driver is not null && CurrentDriver(address) != driver)
            throw new ValidateException(ExitCodes.SetupError, $"{address} did not bind to {driver} (driver_override set, drivers_probe written); is the module loaded? (modprobe {driver})");
    }

    private void WaitForNode(TimeSpan wait)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < wait)
        {
            if (Driver switch
                {
                    "valirq" => File.Exists(ValirqDevice.PathOf(Address)),
                    "uio_pci_generic" => Directory.Exists(Path.Combine(_sysfs, "uio")) &&
                                         Directory.GetDirectories(Path.Combine(_sysfs, "uio")).Any(d => File.Exists($"/dev/{Path.GetFileName(d)}")),
                    "vfio-pci" => VfioSetup.GroupOf(Address, out _) is { } g && File.Exists($"/dev/vfio/{g}"),
                    _ => true,
                })
                return;
            Thread.Sleep(10);
        }
        throw new ValidateException(ExitCodes.SetupError, $"{Address} bound to {Driver} but its device node did not appear within {wait.TotalSeconds:0} s (udev?)");
    }

    public void Dispose()
    {
        if (!_changed) return;
        try
        {
            // Back to the driver it had; with none, driver_override is cleared and the card left unbound
            // unless the kernel's own matching claims it, as before we bound it.
            Rebind(Address, _previous);
        }
        catch (ValidateException)
        {
            // Restoring is best effort; the results record the binding used.
        }
    }
}
