using System.CommandLine;
using Validate.Devices;
using Validate.Plans;

namespace Validate.Cli.Commands;

/// <summary>
/// validate new-plan --card ADDRESS [--out FILE] [--force]: the skeleton of a test plan for the card at
/// ADDRESS, from what the machine says of it (Devices/CardSurvey, Devices/PlanSkeleton), with "TODO:"
/// values where only the engineer knows the answer; `validate run FILE --check` lists them, one line each.
/// </summary>
internal static class NewPlanCommand
{
    public static Command Create()
    {
        var card = new Option<string>("--card") { Description = "PCI address of the card, DDDD:BB:DD.F or BB:DD.F as lspci prints it (validate devices lists them)", Required = true };
        var outFile = new Option<string?>("--out") { Description = "write the plan to FILE, e.g. testplans/VENDOR/CARD.json (default: print it)" };
        var force = new Option<bool>("--force") { Description = "overwrite --out FILE if it exists" };
        var cmd = new Command("new-plan",
            "Write the skeleton of a test plan for a card from the card itself (ids, name, BARs, MSI/MSI-X vectors, INTx pin and PCI 2.3 masking, driver, IOMMU group): " +
            "the suites it can run (valirq in each of its interrupt modes, uio when its INTx masking works, vfio when it is in an IOMMU group, two fault suites), " +
            "and a \"TODO: ...\" value, saying what to put there, wherever only the engineer knows (registers, IRQ program, stimulus, init, disable, quiesce, health); " +
            "`validate run FILE --check` lists those left. Needs root (config space). Exit 0 written, 2 usage or FILE exists, 4 no such card or not root.")
        {
            card, outFile, force,
        };
        cmd.SetAction(p => Run(p.GetValue(card)!, p.GetValue(outFile), p.GetValue(force)));
        return cmd;
    }

    private static int Run(string cardArg, string? outFile, bool force)
    {
        var address = CardSurvey.NormalizeAddress(cardArg)
            ?? throw new ValidateException(ExitCodes.Usage, $"--card {cardArg}: not a PCI address; give DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:04.0 (validate devices lists the cards)");
        if (outFile is not null)
        {
            if (Directory.Exists(outFile))
                throw new ValidateException(ExitCodes.Usage, $"--out {outFile}: is a directory; give the plan's file name, e.g. {Path.Combine(outFile, "CARD.json")}");
            if (File.Exists(outFile) && !force)
                throw new ValidateException(ExitCodes.Usage, $"--out {outFile}: exists; give --force to overwrite it, or another file");
        }
        var survey = CardSurvey.Read(address);
        var plan = PlanSkeleton.Build(survey);
        var text = PlanSkeleton.Format(plan);
        if (outFile is null)
        {
            Console.Out.Write(text);
            return ExitCodes.Ok;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(outFile))!;
        Directory.CreateDirectory(dir);
        File.WriteAllText(outFile, text);
        var todos = PlanSkeleton.TodoPaths(plan);
        Console.WriteLine($"new-plan: wrote {outFile}: {survey.Name} at {address}, {plan["suites"]!.AsArray().Count} suite(s), {todos.Count} value(s) marked TODO: " +
                          $"fill them in; `validate run {outFile} --check` lists those left");
        if (PlanLoader.FindDefaults(outFile) is null)
            Console.WriteLine($"new-plan: note: no {PlanLoader.DefaultsFileName} beside {outFile} or in the folder above; the fault suites' driver {PlanSkeleton.FaultDriver} " +
                              $"and the real-time set-up come from testplans/{PlanLoader.DefaultsFileName}: move the plan to testplans/VENDOR/CARD.json");
        return ExitCodes.Ok;
    }
}
