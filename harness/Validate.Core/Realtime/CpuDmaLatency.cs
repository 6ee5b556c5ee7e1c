using Validate.Interop;

namespace Validate.Realtime;

/// <summary>
/// Holds /dev/cpu_dma_latency open with a 32-bit 0 written: the PM QoS request that keeps CPUs out of
/// deep idle states for as long as the file is open. The kernel drops the request when the file is
/// closed, so even a killed run leaves the machine as found.
/// </summary>
public sealed class CpuDmaLatency : IDisposable
{
    public const string Path = "/dev/cpu_dma_latency";
    private readonly FileStream _file;

    private CpuDmaLatency(FileStream file) => _file = file;

    public static CpuDmaLatency Hold(int microseconds = 0, string path = Path)
    {
        FileStream f;
        try
        {
            f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (UnauthorizedAccessException)
        {
            throw new InteropException("open(O_WRONLY)", Errno.EACCES, path);
        }
        catch (FileNotFoundException)
        {
            throw new InteropException("open(O_WRONLY)", Errno.ENOENT, path);
        }
        f.Write(BitConverter.GetBytes(microseconds));
        return new CpuDmaLatency(f);
    }

    public void Dispose() => _file.Dispose();
}
