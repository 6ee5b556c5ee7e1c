using System.CommandLine;
using Validate.Lab;

namespace Validate.Cli.Commands;

/// <summary>
/// validate demo: the main job on the virtual lab. Until the measuring engine lands it shows what the
/// lab provides (kernel, cards, IRQ lines) for each topology, and says plainly that it measured nothing.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var cmd = new Command("demo", "Boot the virtual lab and show what it provides (no measurement yet: the engine lands with the engine issue).");
        cmd.SetAction(_ => Run());
        return cmd;
    }

    private static int Run()
    {
        Root.Require("validate demo");
        var layout = RepositoryLayout.Find();
        var cli = Path.Combine(layout.BinOf("Validate.Cli"), "validate");
        var status = 0;
        foreach (var t in Topology.All)
        {
            Console.WriteLine($"==> virtual lab, topology {t.Name}: {t.Description}");
            // The CLI itself runs inside the lab; the lab binds the cards to uio_pci_generic, so the
            // handler column shows how their lines are arranged.
            string script =
                "echo \"kernel: $(uname -r) $(uname -v | grep -o PREEMPT_RT) realtime=$(cat /sys/kernel/realtime)\"; " +
                $"{ShellQuote.Quote(cli)} devices";
            var s = VlabCommand.Run(t, 300, null, ["/bin/sh", "-c", script]);
            if (s != 0) status = s;
        }
        Console.WriteLine("demo: no latency was measured: the measuring engine is not built yet, so there is no report to show.");
        return status;
    }
}
