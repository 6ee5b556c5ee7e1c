using System.CommandLine;
using System.Runtime.InteropServices;
using Validate.Backends;
using Validate.Engine;
using Validate.Plans;
using Validate.Recording;

namespace Validate.Cli.Commands;

/// <summary>
/// validate flood: the irq-flood load. Raises interrupts on a card through valirq (the plan's stimulus,
/// IRQ program and quiesce program) as fast as it takes them, or at --rate, until SIGTERM.
/// </summary>
internal static class FloodCommand
{
    public static Command Create()
    {
        var plan = new Option<string>("--plan") { Description = "the test plan whose card description to use", Required = true };
        var card = new Option<string>("--card") { Description = "PCI address of the card to flood (bound to valirq)", Required = true };
        var mode = new Option<string>("--mode") { Description = "valirq mode: msi, intx-exclusive, intx-shared, intx-pci23", DefaultValueFactory = _ => "msi" };
        var rate = new Option<int>("--rate") { Description = "interrupts per second; 0 as fast as possible", DefaultValueFactory = _ => 0 };
        var cmd = new Command("flood", "Interrupt load: raise interrupts on a card through valirq until SIGTERM (used by the irq-flood load profile).")
        {
            plan, card, mode, rate,
        };
        cmd.SetAction(p => Run(p.GetValue(plan)!, p.GetValue(card)!, p.GetValue(mode)!, p.GetValue(rate)));
        return cmd;
    }

    private static int Run(string planPath, string card, string mode, int rate)
    {
        if (!PlanValidator.ValirqModes.Contains(mode))
            throw new ValidateException(ExitCodes.Usage, $"--mode {mode}: use one of {string.Join(", ", PlanValidator.ValirqModes)}");
        if (rate < 0) throw new ValidateException(ExitCodes.Usage, $"--rate {rate}: give 0 or more");
        var plan = PlanLoader.Load(planPath);
        if (plan.Program is null || plan.Stimulus is null)
            throw new ValidateException(ExitCodes.InputError, $"{planPath}: flooding needs irqProgram and stimulus in the plan");
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; RunAbort.Request("SIGTERM"); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; RunAbort.Request("SIGINT"); });
        using var backend = new ValirqBackend(card, mode, plan.Program.Value, plan.Quiesce, plan.Stimulus, rate > 0 ? 1_000_000_000L / rate : 0, 1000);
        try
        {
            backend.Open();
        }
        catch (Interop.InteropException e)
        {
            throw new ValidateException(ExitCodes.SetupError, $"flood: {e.Message}");
        }
        // The load runner waits for this line before it starts measuring (see LoadSet.ReadyMarker).
        Console.WriteLine($"{Loads.LoadSet.ReadyMarker} flood {card} {mode} at {(rate > 0 ? $"{rate}/s" : "full speed")}");
        Console.Out.Flush();
        var s = default(Sample);
        while (!RunAbort.Requested) backend.MeasureOne(ref s);
        var c = backend.Counters;
        Console.WriteLine($"flood {card}: {c.Stimuli} raised, {c.Events} events, {c.Interrupts} interrupts, {c.Lost} lost, {c.Errors} errors");
        return ExitCodes.Ok;
    }
}
