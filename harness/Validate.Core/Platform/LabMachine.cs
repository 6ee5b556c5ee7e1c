using System.Text.RegularExpressions;

namespace Validate.Platform;

public enum CheckLevel { Ok, Warn, Fail }

/// <summary>One finding of <c>validate doctor</c>: what was checked and, when it is not right, the fix.</summary>
public sealed record Check(CheckLevel Level, string What, string? Fix = null);

/// <summary>
/// Is this a lab machine made ready by rt-setup/lab/setup.sh (rt-setup/lab/README.md)? One check per step,
/// each failing with the setup.sh command that fixes it. Files are read under <paramref name="root"/> (a
/// fake machine in the tests); the commands (dkms, systemctl) run on the real one and, when they cannot
/// answer (not installed, systemd not PID 1), the check says so as a warning.
/// </summary>
public static partial class LabMachine
{
    public const string ConfigPath = "/etc/validate/validate.conf";
    private static readonly string[] RequiredKeys = ["VALIDATE_ROOT", "VALIDATE_PLAN", "RT_CPUS", "HOUSEKEEPING_CPUS", "VALIRQ_CARDS", "VALIDATE_ON_CALENDAR"];

    /// <summary>Reads the shell-style KEY=VALUE config (quotes stripped, comments and blank lines skipped).</summary>
    public static Dictionary<string, string> ReadConfig(string path)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var v = line[(eq + 1)..].Trim();
            if (v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'')) v = v[1..^1];
            d[line[..eq].Trim()] = v;
        }
        return d;
    }

    public static IReadOnlyList<Check> Checks(string root = "/", Func<string, IReadOnlyList<string>, (int Status, string Out)>? command = null)
    {
        command ??= (file, args) =>
        {
            try
            {
                var r = ProcessRunner.Capture(file, args, TimeSpan.FromSeconds(20));
                return (r.Status, r.Stdout + r.Stderr);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return (-1, e.Message);
            }
        };
        string P(string p) => Path.Combine(root, p.TrimStart('/'));
        const string Setup = "rt-setup/lab/setup.sh";
        var list = new List<Check>();
        var confPath = P(ConfigPath);
        if (!File.Exists(confPath))
        {
            list.Add(new Check(CheckLevel.Fail, $"{ConfigPath}: missing (not a lab machine yet)", $"{Setup} config apply, edit {ConfigPath}, then {Setup} all apply"));
            return list;
        }
        var conf = ReadConfig(confPath);
        var missingKeys = RequiredKeys.Where(k => !conf.ContainsKey(k) || conf[k].Length == 0).ToList();
        list.Add(missingKeys.Count == 0
            ? new Check(CheckLevel.Ok, $"{ConfigPath}: plan {conf["VALIDATE_PLAN"]}, real-time CPUs {conf["RT_CPUS"]}, cards {conf["VALIRQ_CARDS"]}, nightly at {conf["VALIDATE_ON_CALENDAR"]}")
            : new Check(CheckLevel.Fail, $"{ConfigPath}: {string.Join(", ", missingKeys)} not set", $"set them in {ConfigPath} (rt-setup/lab/validate.conf explains each)"));
        if (missingKeys.Count > 0) return list;

        // cmdline: the running kernel has the parameters the config asks for.
        var cmdline = File.Exists(P("/proc/cmdline")) ? File.ReadAllText(P("/proc/cmdline")).Trim() : "";
        var rt = conf["RT_CPUS"];
        var wanted = new[] { $"isolcpus=managed_irq,domain,{rt}", $"nohz_full={rt}", $"rcu_nocbs={rt}", $"irqaffinity={conf["HOUSEKEEPING_CPUS"]}" };
        var words = cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var absent = wanted.Where(w => !words.Contains(w)).ToList();
        list.Add(absent.Count == 0
            ? new Check(CheckLevel.Ok, $"kernel command line has {string.Join(" ", wanted)}")
            : new Check(CheckLevel.Fail, $"kernel command line lacks {string.Join(" ", absent)}",
                File.Exists(P("/etc/default/grub.d/validate-rt.cfg")) ? "reboot: the GRUB drop-in is in place, the running kernel predates it" : $"{Setup} cmdline apply, then reboot"));

        // DKMS: valirq built and installed for the running kernel.
        var release = File.Exists(P("/proc/sys/kernel/osrelease")) ? File.ReadAllText(P("/proc/sys/kernel/osrelease")).Trim() : Environment.OSVersion.Version.ToString();
        var (dkmsStatus, dkmsOut) = command("dkms", ["status", "valirq"]);
        if (dkmsStatus == -1 || dkmsStatus == 127)
            list.Add(new Check(CheckLevel.Fail, "dkms is not installed", $"{Setup} dkms apply (installs dkms and valirq)"));
        else
        {
            var installed = dkmsOut.Split('\n').Any(l => l.Contains(release, StringComparison.Ordinal) && l.Contains("installed", StringComparison.Ordinal));
            list.Add(installed
                ? new Check(CheckLevel.Ok, $"valirq installed by DKMS for {release}")
                : new Check(CheckLevel.Fail, $"valirq is not installed by DKMS for the running kernel {release} (dkms status: {FirstLine(dkmsOut)})", $"{Setup} dkms apply"));
        }

        // access: group, udev rule, limits, and the device nodes as the rule makes them.
        var group = File.Exists(P("/etc/group")) && File.ReadLines(P("/etc/group")).Any(l => l.StartsWith("validate:", StringComparison.Ordinal));
        var udev = File.Exists(P("/etc/udev/rules.d/70-valirq.rules"));
        var limits = File.Exists(P("/etc/security/limits.d/90-validate.conf")) && File.ReadAllText(P("/etc/security/limits.d/90-validate.conf")).Contains("rtprio", StringComparison.Ordinal);
        list.Add(group && udev && limits
            ? new Check(CheckLevel.Ok, "group validate, udev rule for /dev/valirq-*, rtprio and memlock limits for the group")
            : new Check(CheckLevel.Fail, $"access: {string.Join(", ", new[] { group ? null : "no group validate", udev ? null : "no udev rule 70-valirq.rules", limits ? null : "no limits.d/90-validate.conf" }.Where(x => x is not null))}", $"{Setup} access apply"));

        // bind: every configured card on valirq now, and at every boot.
        var cards = conf["VALIRQ_CARDS"].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var devices = P("/sys/bus/pci/devices");
        var found = 0;
        if (Directory.Exists(devices))
        {
            foreach (var dev in Directory.GetDirectories(devices))
            {
                string Id(string f) => File.Exists(Path.Combine(dev, f)) ? File.ReadAllText(Path.Combine(dev, f)).Trim().Replace("0x", "", StringComparison.Ordinal) : "";
                if (!cards.Contains($"{Id("vendor")}:{Id("device")}")) continue;
                found++;
                var driverLink = Path.Combine(dev, "driver");
                var driver = Directory.Exists(driverLink) ? Path.GetFileName(new DirectoryInfo(driverLink).ResolveLinkTarget(true)?.FullName ?? "") : "none";
                list.Add(driver == "valirq"
                    ? new Check(CheckLevel.Ok, $"card {Path.GetFileName(dev)} ({Id("vendor")}:{Id("device")}) bound to valirq")
                    : new Check(CheckLevel.Fail, $"card {Path.GetFileName(dev)} ({Id("vendor")}:{Id("device")}) is bound to {driver}, not valirq", $"{Setup} bind apply (or systemctl start validate-bind.service)"));
            }
        }
        if (found == 0) list.Add(new Check(CheckLevel.Fail, $"no card matches VALIRQ_CARDS={conf["VALIRQ_CARDS"]}", "check the ids (validate devices --all) and that the card is seated"));
        var bindUnit = File.Exists(P("/etc/systemd/system/validate-bind.service")) && File.Exists(P("/etc/modules-load.d/valirq.conf"));
        list.Add(bindUnit ? new Check(CheckLevel.Ok, "validate-bind.service and modules-load.d/valirq.conf installed")
            : new Check(CheckLevel.Fail, "the cards are not bound at boot (no validate-bind.service or modules-load.d/valirq.conf)", $"{Setup} bind apply"));

        // nightly: the units, their limits (limits.d does not reach services) and the timer.
        var service = P("/etc/systemd/system/validate-nightly.service");
        var timer = P("/etc/systemd/system/validate-nightly.timer");
        if (!File.Exists(service) || !File.Exists(timer))
            list.Add(new Check(CheckLevel.Fail, "validate-nightly.service/.timer not installed", $"{Setup} nightly apply"));
        else
        {
            var s = File.ReadAllText(service);
            var t = File.ReadAllText(timer);
            var ok = s.Contains("Type=oneshot", StringComparison.Ordinal) && s.Contains("LimitRTPRIO=", StringComparison.Ordinal) && s.Contains("LimitMEMLOCK=", StringComparison.Ordinal)
                     && t.Contains("Persistent=true", StringComparison.Ordinal) && OnCalendar().Match(t) is { Success: true } m && m.Groups[1].Value == conf["VALIDATE_ON_CALENDAR"];
            list.Add(ok ? new Check(CheckLevel.Ok, $"validate-nightly.service (oneshot, LimitRTPRIO, LimitMEMLOCK) and .timer ({conf["VALIDATE_ON_CALENDAR"]}, Persistent)")
                : new Check(CheckLevel.Fail, "validate-nightly units differ from what the config asks for", $"{Setup} nightly apply"));
            var (st, so) = command("systemctl", ["is-enabled", "validate-nightly.timer", "validate-bind.service"]);
            if (st == -1 || so.Contains("not been booted with systemd", StringComparison.Ordinal) || so.Contains("Failed to connect", StringComparison.Ordinal))
                list.Add(new Check(CheckLevel.Warn, "systemd is not running here: cannot check that the timer and the bind unit are enabled"));
            else
                list.Add(st == 0 ? new Check(CheckLevel.Ok, "validate-nightly.timer and validate-bind.service enabled")
                    : new Check(CheckLevel.Fail, $"not enabled: {FirstLine(so)}", "systemctl enable --now validate-nightly.timer validate-bind.service"));
        }
        return list;
    }

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(nothing)";

    [GeneratedRegex(@"(?m)^OnCalendar=(.*)$")]
    private static partial Regex OnCalendar();
}
