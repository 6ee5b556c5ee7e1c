using System.Diagnostics;
using System.Globalization;
using Validate.Analysis;
using Validate.Interop;
using Validate.Loads;
using Validate.Plans;
using Validate.Realtime;

namespace Validate.Faults;

/// <summary>
/// A user-space driver process under test, started with the driver channel: environment in, lines on its
/// stdout (hello, ready, irq, enter, revoked, release, gone, error) read by a thread of ours, commands on its stdin
/// (hold, exit). Its stderr goes to a log file. Times are the driver's CLOCK_MONOTONIC, the clock the
/// harness and valirq use, so they subtract.
/// </summary>
public sealed class DriverProcess : IDisposable
{
    private readonly Process _process;
    private readonly Thread _reader;
    private readonly Thread _errors;
    private readonly StreamWriter _stderrLog;
    private readonly Action<DriverReport> _onIrq;
    private readonly object _sync = new();

    public int Instance { get; }
    public int Pid { get; }
    /// <summary>Harness time right before the process was created.</summary>
    public long SpawnNs { get; }
    public long HelloNs { get; private set; } = -1;
    /// <summary>The latest "ready" (a driver that re-opens after a revocation reports ready again).</summary>
    public long ReadyNs { get; private set; } = -1;
    public int ReadyCount { get; private set; }
    /// <summary>Done time of the first handled interrupt (status not 0) after the latest ready, or -1.</summary>
    public long FirstIrqNs { get; private set; } = -1;
    /// <summary>Read time of the latest handled interrupt.</summary>
    public long LastIrqReadNs { get; private set; } = -1;

    private readonly long[] _lastReadByVector = Enumerable.Repeat(-1L, 32).ToArray();

    /// <summary>
    /// The earliest of the last reads of <paramref name="vectors"/>' reports (ready when a vector has not
    /// reported since): on MSI-X a report of one vector says nothing of another's, whose interrupt may have
    /// been taken by the kernel and be waiting unread when the driver dies.
    /// </summary>
    public long OldestLastReadNs(IReadOnlyList<int> vectors)
    {
        lock (_sync)
        {
            var oldest = long.MaxValue;
            foreach (var v in vectors)
            {
                var t = v is >= 0 and < 32 && _lastReadByVector[v] >= 0 ? _lastReadByVector[v] : ReadyNs;
                if (t >= 0) oldest = Math.Min(oldest, t);
            }
            return oldest == long.MaxValue ? LastIrqReadNs : oldest;
        }
    }
    public long EnterNs { get; private set; } = -1;
    public uint EnterStatus { get; private set; }
    public long RevokedNs { get; private set; } = -1;
    public long GoneNs { get; private set; } = -1;
    /// <summary>The latest `release` line: what valirq's last release did, as a record's flags told the driver (quiesced, reset, neither).</summary>
    public string? Release { get; private set; }
    public long ReleaseNs { get; private set; } = -1;
    public long ErrorNs { get; private set; } = -1;
    public long Handled { get; private set; }
    private readonly List<string> _protocolErrors = [];

    /// <summary>Lines that were not the protocol, so far: each is a fault of the driver.</summary>
    public IReadOnlyList<string> ProtocolErrors
    {
        get { lock (_sync) return [.. _protocolErrors]; }
    }
    public long ExitSeenNs { get; private set; } = -1;
    public int? ExitCode { get; private set; }
    public string LogPath { get; }

    private DriverProcess(Process p, long spawnNs, int instance, string logPath, Action<DriverReport> onIrq)
    {
        _process = p;
        Pid = p.Id;
        SpawnNs = spawnNs;
        Instance = instance;
        LogPath = logPath;
        _onIrq = onIrq;
        _stderrLog = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _reader = new Thread(ReadChannel) { IsBackground = true, Name = $"driver-{instance}-channel" };
        _errors = new Thread(ReadErrors) { IsBackground = true, Name = $"driver-{instance}-stderr" };
        _reader.Start();
        _errors.Start();
    }

    /// <summary>The driver's executable: the plan's path, relative to the checkout when not absolute.</summary>
    public static string ResolveProgram(DriverCommand cmd) =>
        Path.IsPathRooted(cmd.Program) ? cmd.Program : Path.Combine(RepositoryLayout.Find().Root, cmd.Program);

    /// <summary>The plan's quiesce program as the driver channel passes it (VALIDATE_DRIVER_QUIESCE): op:bar:offset:width:mask:value;...</summary>
    public static string QuiesceText(in ValirqQuiesce q) => StepsText(q.Steps[..(int)q.NSteps]);

    /// <summary>Steps as the driver channel passes them: op:bar:offset:width:mask:value, separated by ';'.</summary>
    public static string StepsText(ReadOnlySpan<ValirqStep> steps)
    {
        var parts = new List<string>();
        foreach (var s in steps) parts.Add(StepText(s));
        return string.Join(';', parts);
    }

    public static string StepText(in ValirqStep s)
    {
        var op = s.Op switch
        {
            Valirq.OpReadNe => "read-ne", Valirq.OpReadEq => "read-eq",
            Valirq.OpWrite => "write", Valirq.OpWriteStatus => "write-status", Valirq.OpSetBits => "set-bits", Valirq.OpClearBits => "clear-bits",
            _ => throw new ArgumentOutOfRangeException(nameof(s), s.Op, "not a step op"),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{op}:{s.Reg.Bar}:0x{s.Reg.Offset:x}:{s.Reg.Width}:0x{s.Mask:x}:0x{s.Value:x}");
    }

    /// <summary>
    /// The driver channel's environment for a card described by <paramref name="card"/> (docs/driver-channel.md):
    /// the device, the mode and vectors, the card's programs; on uio and vfio no release policy (valirq is not there).
    /// </summary>
    public static Dictionary<string, string> ChannelEnvironment(Plan card, string device, string pciAddress, string mode, uint vectors)
    {
        var p = card.Program ?? throw new ValidateException(ExitCodes.InputError, $"{card.SourcePath}: a driver needs the card's irqProgram (its check and ack)");
        var init = card.Init;
        var valirq = mode is "msi" or "msix" or "intx-pci23";
        var env = new Dictionary<string, string>
        {
            ["VALIDATE_DRIVER_DEVICE"] = device,
            ["VALIDATE_DRIVER_PCI"] = pciAddress,
            ["VALIDATE_DRIVER_MODE"] = mode,
            ["VALIDATE_DRIVER_VECTORS"] = string.Join(',', Enumerable.Range(0, 32).Where(v => (vectors & (1u << v)) != 0)),
            ["VALIDATE_DRIVER_CHECK"] = StepText(p.Check),
            ["VALIDATE_DRIVER_ACK"] = StepsText(p.Ack[..(int)p.NAck]),
            ["VALIDATE_DRIVER_INIT"] = StepsText(init.Init[..(int)init.NInit]),
            ["VALIDATE_DRIVER_DISABLE"] = StepsText(init.Disable[..(int)init.NDisable]),
            ["VALIDATE_DRIVER_READ_TO_CLEAR"] = card.ReadToClear ? "1" : "0",
            ["VALIDATE_DRIVER_VECTOR_STATUS"] = mode is "msix" or "vfio-msix" && card.VectorStatus is { } vs
                ? string.Join(',', vs.Select(m => string.Create(CultureInfo.InvariantCulture, $"0x{m:x}"))) : "",
            ["VALIDATE_DRIVER_QUIESCE"] = !valirq ? "" : QuiesceText(card.Quiesce),
            ["VALIDATE_DRIVER_RELEASE"] = !valirq ? "" : card.Release,
        };
        return env;
    }

    /// <summary>
    /// Starts the driver. Its main thread gets SCHED_FIFO <paramref name="priority"/> and CPU
    /// <paramref name="cpu"/> right after creation (threads it creates later inherit them).
    /// </summary>
    public static DriverProcess Start(DriverCommand cmd, string program, IReadOnlyDictionary<string, string> env, int instance, string logPath,
        int cpu, int priority, Action<DriverReport> onIrq, Action<string> problem)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in cmd.Args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var spawn = MonotonicClock.NowNs();
        Process p;
        try { p = ChildLauncher.Start(psi); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new ValidateException(ExitCodes.SetupError, $"driver {cmd.Name}: cannot start {program}: {e.Message}; is it built (./validate builds artifacts/drivers/) and executable?");
        }
        try
        {
            RealtimeCalls.SetAffinity(p.Id, [cpu]);
            RealtimeCalls.SetFifo(p.Id, priority);
        }
        catch (InteropException e)
        {
            problem($"driver {cmd.Name}: {e.Message}");
        }
        return new DriverProcess(p, spawn, instance, logPath, onIrq);
    }

    private void ReadChannel()
    {
        try
        {
            string? line;
            while ((line = _process.StandardOutput.ReadLine()) is not null) Parse(line);
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private void ReadErrors()
    {
        try
        {
            string? line;
            while ((line = _process.StandardError.ReadLine()) is not null) _stderrLog.WriteLine(line);
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private static long N(string s) => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static uint Hex(string s) => s.StartsWith("0x", StringComparison.Ordinal)
        ? uint.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : throw new FormatException($"'{s}' is not 0x hex");

    private void Parse(string line)
    {
        var f = line.Split(' ');
        try
        {
            lock (_sync)
            {
                switch (f[0])
                {
                    case "hello" when f.Length == 3: HelloNs = N(f[2]); break;
                    case "ready" when f.Length == 2: ReadyNs = N(f[1]); ReadyCount++; FirstIrqNs = -1; break;
                    // VECTOR (the 7th field) came with channel version 2; a driver of version 1 sends 6.
                    // irq-revoked (channel version 3): read before a revocation, acknowledged perhaps only at the scratch page.
                    case "irq" or "irq-revoked" when f.Length is 6 or 7:
                        var vector = f.Length == 7 ? N(f[6]) : 0;
                        var r = new DriverReport(Instance, Hex(f[1]), N(f[2]), N(f[3]), N(f[4]), Unconfirmed: f[0] == "irq-revoked");
                        if (r.Status != 0)
                        {
                            Handled++;
                            LastIrqReadNs = r.ReadNs;
                            if (vector is >= 0 and < 32) _lastReadByVector[vector] = r.ReadNs;
                            if (FirstIrqNs < 0) FirstIrqNs = r.DoneNs;
                        }
                        _onIrq(r);
                        break;
                    case "enter" when f.Length == 4: EnterStatus = Hex(f[1]); EnterNs = N(f[3]); break;
                    case "revoked" when f.Length == 2: RevokedNs = N(f[1]); ReadyNs = -1; FirstIrqNs = -1; break;
                    case "gone" when f.Length == 3: GoneNs = N(f[1]); break;
                    case "release" when f.Length == 3 && f[2] is ReleaseOutcome.Quiesced or ReleaseOutcome.Reset or ReleaseOutcome.Neither:
                        ReleaseNs = N(f[1]);
                        Release = f[2];
                        break;
                    case "error" when f.Length == 2: ErrorNs = N(f[1]); break;
                    default: _protocolErrors.Add(line); break;
                }
                Monitor.PulseAll(_sync);
            }
        }
        catch (FormatException)
        {
            lock (_sync) _protocolErrors.Add(line);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds (checked under the channel's lock), the process exits, or the timeout.</summary>
    public bool WaitFor(Func<DriverProcess, bool> done, int timeoutMs)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_sync)
        {
            while (!done(this))
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0 || ErrorNs >= 0) return done(this);
                if (_process.HasExited && !_reader.IsAlive) return done(this);
                Monitor.Wait(_sync, (int)Math.Min(left, 50));
            }
            return true;
        }
    }

    public void Send(string command)
    {
        try
        {
            _process.StandardInput.Write(command + "\n");
            _process.StandardInput.Flush();
        }
        catch (IOException) { }
    }

    /// <summary>Closes stdin: a driver that speaks the channel exits (0), releasing the card cleanly.</summary>
    public void CloseInput()
    {
        try { _process.StandardInput.Close(); }
        catch (IOException) { }
    }

    public int Signal(int signal) => Signals.Send(Pid, signal);

    /// <summary>Waits for the process to end (reaped: its files, and so valirq's release, are done by then).</summary>
    public bool WaitExit(int timeoutMs)
    {
        if (!_process.WaitForExit(timeoutMs)) return false;
        if (ExitSeenNs < 0) ExitSeenNs = MonotonicClock.NowNs();
        ExitCode = _process.ExitCode;
        _reader.Join(1000);
        return true;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            CloseInput();
            if (!WaitExit(3000))
            {
                _ = Signal(Signals.SIGKILL);
                WaitExit(3000);
            }
        }
        _reader.Join(1000);
        _errors.Join(1000);
        _process.Dispose();
        _stderrLog.Dispose();
    }
}
