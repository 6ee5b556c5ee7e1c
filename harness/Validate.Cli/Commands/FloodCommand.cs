using System.CommandLine;
using System.Runtime.InteropServices;
using Validate.Loads;
using Validate.Plans;

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
        var card = new Option<string>("--card") { Description = "PCI address of the card to flood (bound to valirq for the flood, its binding restored after)", Required = true };
        var mode = new Option<string>("--mode") { Description = "valirq mode: msi, intx-exclusive, intx-shared, intx-pci23", DefaultValueFactory = _ => "msi" };
        var rate = new Option<int>("--rate") { Description = "interrupts per second; 0 as fast as possible", DefaultValueFactory = _ => 0 };
        var cmd = new Command("flood", "Interrupt load: raise interrupts on a card through valirq until SIGTERM (what the irq-flood load profile does inside a run).")
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
        using var stop = new ManualResetEventSlim(false);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        // The engine's own irq-flood load (Loads/IrqFlood), run here on its own until a signal.
        using var flood = IrqFlood.Start(plan, card, new LoadCommand(LoadKind.IrqFlood, "", [], rate), log: null, mode);
        Console.WriteLine($"{flood.Shown}: running until SIGTERM");
        Console.Out.Flush();
        // Until a signal, or until the flood ends by itself (a card that went away): then say so.
        while (!stop.Wait(TimeSpan.FromMilliseconds(200)) && !flood.WaitEnded(TimeSpan.Zero)) { }
        var record = flood.Finish(DateTime.UtcNow);
        Console.WriteLine(record.LogTail);
        return record.ExitStatus == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
