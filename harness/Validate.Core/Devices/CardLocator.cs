using Validate.Plans;

namespace Validate.Devices;

/// <summary>Finds the plan's card (and the card an irq-flood load drives) among the machine's PCI functions.</summary>
public static class CardLocator
{
    public static PciDevice Find(CardIdentity card, IReadOnlyList<PciDevice>? devices = null)
    {
        devices ??= PciDevice.Enumerate();
        var matching = devices.Where(d => d.Vendor == card.Vendor && d.Device == card.Device).ToList();
        var chosen = card.Address is { } a ? matching.FirstOrDefault(d => d.Address == a) : matching.FirstOrDefault();
        if (chosen is null)
        {
            var where = card.Address is null ? "" : $" at {card.Address}";
            throw new ValidateException(ExitCodes.SetupError,
                $"no PCI card {card.Vendor:x4}:{card.Device:x4} ({card.Name}){where} on this machine (found: {string.Join(", ", matching.Select(d => d.Address).DefaultIfEmpty("none"))}); check card in the plan, or run `validate devices`");
        }
        if (card.Revision is { } rev && chosen.Revision != rev)
            throw new ValidateException(ExitCodes.SetupError,
                $"card {chosen.Address} is revision 0x{chosen.Revision:x2}, the plan is for 0x{rev:x2}; use the plan for this revision or fix card:revision");
        return chosen;
    }

    /// <summary>The card the irq-flood load drives: card:floodAddress, else another card with the same ids, else null.</summary>
    public static PciDevice? FindFlood(CardIdentity card, string underTest, IReadOnlyList<PciDevice>? devices = null)
    {
        devices ??= PciDevice.Enumerate();
        if (card.FloodAddress is { } a) return devices.FirstOrDefault(d => d.Address == a);
        return devices.FirstOrDefault(d => d.Vendor == card.Vendor && d.Device == card.Device && d.Address != underTest);
    }
}
