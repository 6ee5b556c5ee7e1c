using Validate.Interop;
using Validate.Plans;
using Validate.Realtime;
using Validate.Results;

namespace Validate.Engine;

/// <summary>
/// Process-wide real-time set-up for a run: mlockall and /dev/cpu_dma_latency held at 0, each verified
/// (VmLck read back). A failure becomes one line naming the limit and the fix; the plan's
/// realtime:onFailure decides whether it aborts the run (exit 4) or the run goes on flagged not real-time.
/// Dispose releases the latency request (closing the file; the kernel also drops it if we are killed).
/// </summary>
public sealed class ProcessSetup : IDisposable
{
    private readonly CpuDmaLatency? _dma;

    public ProcessRealtime State { get; }

    private ProcessSetup(ProcessRealtime state, CpuDmaLatency? dma)
    {
        State = state;
        _dma = dma;
    }

    public static ProcessSetup Apply(RealtimeSettings settings)
    {
        var problems = new List<string>();
        var locked = false;
        if (settings.LockMemory)
        {
            try
            {
                RealtimeCalls.LockAllMemory(settings.PrefaultMemory);
                locked = RealtimeCalls.LockedKb() > 0;
                if (!locked) problems.Add("mlockall succeeded but VmLck reads 0 kB");
            }
            catch (InteropException e)
            {
                problems.Add(e.ErrorNumber is Errno.EPERM or Errno.ENOMEM
                    ? $"{e.Message}: the memlock limit is too low (ulimit -l); raise it (limits.d: @validate - memlock unlimited; systemd: LimitMEMLOCK=infinity) or run as root"
                    : e.Message);
            }
        }
        CpuDmaLatency? dma = null;
        if (settings.DmaLatency)
        {
            try
            {
                dma = CpuDmaLatency.Hold(0);
            }
            catch (InteropException e)
            {
                problems.Add(e.ErrorNumber == Errno.ENOENT
                    ? $"{e.Message}: this kernel has no PM QoS device; deep idle states may add wake-up latency"
                    : $"{e.Message}: needs root or write access to {CpuDmaLatency.Path} (udev rule for the validate group)");
            }
        }
        var state = new ProcessRealtime(locked, RealtimeCalls.LockedKb(), dma is not null, problems);
        if (problems.Count > 0 && settings.AbortOnFailure)
        {
            dma?.Dispose();
            throw new ValidateException(ExitCodes.SetupError, $"real-time set-up failed: {problems[0]} (the plan has realtime:onFailure=abort; set it to flag to run marked not real-time)");
        }
        return new ProcessSetup(state, dma);
    }

    public void Dispose() => _dma?.Dispose();
}
