using System.CommandLine;
using System.Runtime.InteropServices;
using Validate.Lab;

namespace Validate.Cli.Commands;

/// <summary>validate vlab [--kernel rt|generic] [--topology NAME] [--timeout S] [--bind DRIVER] [--run-dir DIR] -- COMMAND...</summary>
internal static class VlabCommand
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel")
        {
            Description = "lab kernel: " + string.Join(", ", LabKernel.All.Select(k => $"{k.Name} ({k.Description}, {k.ImagePackage})")),
            DefaultValueFactory = _ => LabKernel.DefaultName,
        };
        var topology = new Option<string>("--topology")
        {
            Description = "card topology, one of rt-setup/vlab/topologies.json (a name it does not hold lists the choices)",
            DefaultValueFactory = _ => TopologyCatalog.Default.DefaultName,
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "seconds before QEMU is killed and the run fails with status 124",
            DefaultValueFactory = _ => 600,
        };
        var bind = new Option<string>("--bind")
        {
            Description = "driver the edu cards are bound to before COMMAND runs (driver_override), or none",
            DefaultValueFactory = _ => VirtualLab.DefaultBind,
        };
        var runDir = new Option<string?>("--run-dir") { Description = "where the lab's logs go (default: out/vlab/TIMESTAMP-TOPOLOGY)" };
        var command = new Argument<string[]>("command") { Description = "the command to run as root inside the lab", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("vlab", "Run COMMAND as root inside the virtual lab (QEMU, Debian's PREEMPT_RT kernel or with --kernel generic its standard kernel, edu cards) and exit with its status.")
        {
            kernel, topology, timeout, bind, runDir, command,
        };
        cmd.SetAction(p => Run(Topology.Get(p.GetValue(topology)!), p.GetValue(timeout), p.GetValue(runDir), p.GetValue(command)!, p.GetValue(bind)!,
            LabKernel.Get(p.GetValue(kernel)!)));
        return cmd;
    }

    public static int Run(Topology topology, int timeoutSeconds, string? runDir, IReadOnlyList<string> command, string bind = VirtualLab.DefaultBind,
        LabKernel? kernel = null)
    {
        if (bind.Length == 0 || !bind.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw new ValidateException(ExitCodes.Usage, $"--bind '{bind}': give a driver name such as uio_pci_generic or valirq, or none");
        if (timeoutSeconds <= 0)
            throw new ValidateException(ExitCodes.Usage, $"--timeout {timeoutSeconds}: give a number of seconds above 0");
        Root.Require("validate vlab");
        var layout = RepositoryLayout.Find();
        var host = LabHost.Detect(layout, kernel ?? LabKernel.Rt);
        var modules = KmodBuild.EnsureBuilt(layout, host, Log);
        runDir ??= Path.Combine(layout.Out, "vlab", $"{DateTime.Now:yyyyMMdd-HHmmss}-{topology.Name}{(host.Kernel == LabKernel.Rt ? "" : "-" + host.Kernel.Name)}-{Environment.ProcessId}");

        using var cancel = new CancellationTokenSource();
        var signal = 0;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; signal = 2; cancel.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; signal = 15; cancel.Cancel(); });

        var lab = new VirtualLab(host, Log);
        var options = new LabRunOptions(topology, command, TimeSpan.FromSeconds(timeoutSeconds), Environment.CurrentDirectory, runDir, modules, bind);
        using var stdout = Console.OpenStandardOutput();
        var result = lab.Run(options, stdout, cancel.Token);
        if (result.Outcome != LabOutcome.Completed || result.ExitCode != 0)
            Log(result.Message);
        if (result.Outcome == LabOutcome.Cancelled)
            return signal == 15 ? ExitCodes.Terminated : ExitCodes.Interrupted;
        return result.ExitCode;
    }

    internal static void Log(string message) => Console.Error.WriteLine($"vlab: {message}");
}
