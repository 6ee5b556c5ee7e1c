using System.Globalization;
using Validate.Backends;
using Validate.Devices;
using Validate.Plans;
using Validate.Recording;

namespace Validate.Loads;

/// <summary>
/// The irq-flood load: another card of the plan's type, bound to valirq, raising interrupts as fast as
/// it takes them (or at a rate) through the plan's stimulus, IRQ program and quiesce program, on a thread
/// of the harness's process (so its record's pid is the harness's), created by the suite's thread: it
/// inherits that thread's scheduling (SCHED_OTHER, any CPU: a load competes, it does not measure).
/// The loop is the backend's own: it allocates nothing (<see cref="AllocatedBytes"/>, in the load's
/// record; a flood that allocated, or failed, exits with status 1), so it cannot start a collection that
/// would stop the measuring threads. Stopped after the measurement window; the card's binding is
/// restored (a card that was bound to valirq already stays so).
/// </summary>
public sealed class IrqFlood : IRunningLoad
{
    /// <summary>
    /// The name every load thread of the harness starts with: a measurement window leaves such threads where
    /// they run and does not count them as the harness's own cost (they are the load the suite asked for).
    /// </summary>
    public const string LoadThreadPrefix = "load-";

    private readonly LatencyBackend _backend;
    private readonly PciBinding? _binding;
    private readonly Thread _thread;
    private readonly string? _log;
    private readonly string _card;
    private readonly DateTime _started = DateTime.UtcNow;
    private volatile bool _stop;
    private bool _early;
    private Exception? _error;
    private LoadRecord? _record;

    public string Shown { get; }
    public long AllocatedBytes { get; private set; }

    private IrqFlood(LatencyBackend backend, PciBinding? binding, string card, string shown, string? log)
    {
        _card = card;
        _backend = backend;
        _binding = binding;
        Shown = shown;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = LoadThreadPrefix + "irq-flood" };
    }

    /// <summary>
    /// Binds <paramref name="address"/> to valirq, opens it in <paramref name="mode"/> with the plan's programs and
    /// starts flooding; returns when it is running. Throws <see cref="ValidateException"/> (set-up) when it cannot.
    /// <paramref name="log"/> gets the counts at the end (null: nowhere).
    /// </summary>
    public static IrqFlood Start(Plan plan, string address, LoadCommand cmd, string? log, string mode = "msi")
    {
        if (plan.Program is null || plan.Stimulus is null)
            throw new ValidateException(ExitCodes.InputError, $"{plan.SourcePath}: the irq-flood load needs irqProgram and stimulus in the plan");
        var binding = PciBinding.Bind(address, "valirq");
        LatencyBackend? backend = null;
        try
        {
            backend = new ValirqBackend(address, mode, plan.Program.Value, plan.Quiesce, plan.Stimulus, cmd.RateHz > 0 ? 1_000_000_000L / cmd.RateHz : 0, 1000, plan.Init);
            var shown = $"irq-flood {address} through valirq ({mode}) at {(cmd.RateHz > 0 ? $"{cmd.RateHz}/s" : "full speed")}";
            return Start(backend, binding, address, shown, log);
        }
        catch (Interop.InteropException e)
        {
            backend?.Dispose();
            binding.Dispose();
            throw new ValidateException(ExitCodes.SetupError, $"load irq-flood on {address}: {e.Message}");
        }
        catch
        {
            backend?.Dispose();
            binding.Dispose();
            throw;
        }
    }

    /// <summary>Floods through any backend (the tests use a timer) named <paramref name="card"/>; <paramref name="binding"/> is undone at dispose.</summary>
    public static IrqFlood Start(LatencyBackend backend, PciBinding? binding, string card, string shown, string? log)
    {
        backend.Open();
        var f = new IrqFlood(backend, binding, card, shown, log);
        f._thread.Start();
        return f;
    }

    // Fully optimized from the first call: no tier-up of the loop in the measured process while it runs.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Loop()
    {
        var before = -1L;
        try
        {
            var s = default(Sample);
            // Once before counting: the first call of each P/Invoke binds it (and allocates).
            _backend.MeasureOne(ref s);
            _backend.ResetPacing();
            before = GC.GetAllocatedBytesForCurrentThread();
            while (!_stop) _backend.MeasureOne(ref s);
        }
#pragma warning disable CA1031 // a load's thread must not end the run: whatever it threw is its record's
        catch (Exception e)
#pragma warning restore CA1031
        {
            _error = e;
        }
        finally
        {
            if (before >= 0) AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    public bool HasExited => !_thread.IsAlive;

    public string ExitDescription => _error is { } e ? $"{Shown} (failed: {e.Message})" : $"{Shown} (stopped on its own)";

    public void RequestStop()
    {
        if (_stop) return;
        _early = HasExited;
        _stop = true;
    }

    public LoadRecord Finish(DateTime deadlineUtc)
    {
        if (_record is not null) return _record;
        RequestStop();
        var early = _early;
        _thread.Join();
        var c = _backend.Counters;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"flood {_card}: {c.Stimuli} raised, {c.Events} events, {c.Interrupts} interrupts, {c.Lost} lost, {c.Errors} errors, {AllocatedBytes} bytes allocated{(_error is { } e ? $"; {e.Message}" : "")}");
        if (_log is not null)
        {
            try { File.WriteAllText(_log, line + "\n"); }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException) { }
        }
        _record = new LoadRecord(Shown, Environment.ProcessId, _started, DateTime.UtcNow, _error is null && AllocatedBytes == 0 ? 0 : 1, early, line);
        return _record;
    }

    public void Dispose()
    {
        try { Finish(DateTime.UtcNow); }
        finally
        {
            try { _backend.Dispose(); }
            finally { _binding?.Dispose(); }
        }
    }

    /// <summary>Waits until the flood thread ended by itself or <paramref name="timeout"/> passed; true when it ended.</summary>
    public bool WaitEnded(TimeSpan timeout) => _thread.Join(timeout);
}
