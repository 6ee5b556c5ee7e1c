using System.Diagnostics;

namespace Validate.Engine;

/// <summary>
/// Watches the suite the runner says it is running (its start and end events) and calls back once when one
/// runs past its hang limit. One thread, blocked in a timed wait between events: it wakes at an event or at
/// the deadline, never on a period, so nothing of ours runs for it inside a measurement window.
/// </summary>
public sealed class SuiteWatchdog : IDisposable
{
    private readonly object _gate = new(); // guards _suite, _started, _limitS, _stopped
    private readonly Func<string, double> _limitOf;
    private readonly Action<string, double, double> _onHang;
    private readonly Thread _thread;
    private string? _suite;
    private long _started;
    private double _limitS;
    private bool _stopped;

    /// <param name="limitOf">a suite's hang limit in seconds, from its name</param>
    /// <param name="onHang">called on the watchdog's thread with the suite, the seconds it ran and its limit</param>
    public SuiteWatchdog(Func<string, double> limitOf, Action<string, double, double> onHang)
    {
        _limitOf = limitOf;
        _onHang = onHang;
        _thread = new Thread(Watch) { IsBackground = true, Name = "suite-watchdog" };
        _thread.Start();
    }

    /// <summary>The suite taken as hung, once the callback has been called.</summary>
    public string? Hung { get; private set; }

    public void Started(string suite)
    {
        lock (_gate)
        {
            _suite = suite;
            _started = Stopwatch.GetTimestamp();
            _limitS = _limitOf(suite);
            Monitor.PulseAll(_gate);
        }
    }

    public void Ended(string suite)
    {
        lock (_gate)
        {
            if (_suite == suite) _suite = null;
            Monitor.PulseAll(_gate);
        }
    }

    private void Watch()
    {
        string suite;
        double ran, limit;
        lock (_gate)
        {
            while (true)
            {
                if (_stopped) return;
                if (_suite is null)
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                ran = Stopwatch.GetElapsedTime(_started).TotalSeconds;
                var left = _limitS - ran;
                if (left <= 0) break;
                Monitor.Wait(_gate, TimeSpan.FromSeconds(Math.Min(left, int.MaxValue / 1000.0)));
            }
            suite = _suite;
            limit = _limitS;
            if (_suite == suite) _suite = null;
            Hung = suite;
        }
        _onHang(suite, ran, limit);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
        // A callback under way (writing what the threads did, stopping the runner) finishes first.
        _thread.Join();
    }
}
