using System.CommandLine;
using Validate.Devices;

namespace Validate.Cli.Commands;

/// <summary>validate devices: PCI cards, their driver, IRQ and interrupt capabilities.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "list bridges and host devices too, not only endpoint cards" };
        var cmd = new Command("devices", "List PCI cards: address, vendor:device, revision, bound driver, IRQ, MSI/MSI-X, handlers on the IRQ line; for valirq: mode, bus mastering, last release, INTx hold, counters and its debugfs hooks.") { all };
        cmd.SetAction(p => Run(p.GetValue(all)));
        return cmd;
    }

    private static int Run(bool all)
    {
        var handlers = ProcInterrupts.Handlers();
        var devices = PciDevice.Enumerate();
        Console.WriteLine($"{"ADDRESS",-13} {"ID",-10} {"REV",-4} {"DRIVER",-18} {"IRQ",-4} {"MSI",-4} {"MSIX",-5} LINE HANDLERS");
        foreach (var d in devices)
        {
            // Class 0x06xxxx are bridges: not what a lab tests.
            if (!all && (d.Class >> 16) == 0x06) continue;
            var line = d.Irq > 0 && handlers.TryGetValue(d.Irq, out var h) ? string.Join(",", h) : "-";
            var id = $"{d.Vendor:x4}:{d.Device:x4}";
            Console.WriteLine($"{d.Address,-13} {id,-10} {d.Revision:x2}   {d.Driver ?? "-",-18} {d.Irq,-4} {(d.HasMsi ? "yes" : "no"),-4} {(d.HasMsix ? "yes" : "no"),-5} {line}");
            if (d.ValirqState() is { } state)
            {
                Console.WriteLine($"{"",-13} valirq: {state}");
                var hooks = Interop.ValirqDebugfs.DirOf(d.Address);
                Console.WriteLine($"{"",-13} hooks: {(Interop.ValirqDebugfs.Problem(d.Address, Interop.ValirqDebugfs.Stimulus(d.Address)) is { } problem ? problem : $"{hooks}/ ({string.Join(' ', Directory.EnumerateFiles(hooks).Select(Path.GetFileName).Order(StringComparer.Ordinal))})")}");
            }
        }
        return ExitCodes.Ok;
    }
}
