using System.Diagnostics;

namespace Validate.Engine;

/// <summary>
/// Watches the suite the runner says it is running (its start and end events) and calls back when one runs
/// past its hang limit. One thread, blocked in a timed wait between events: it wakes at an event or at the
/// deadline, never on a period, so nothing of ours runs for it inside a measurement window.
/// </summary>
public sealed class SuiteWatchdog : IDisposable
{
    private readonly object _gate = new(); // guards _suite, _started, _limitS, _stopped
    private readonly Func<string, double> _limitOf;
    private readonly Func<string, double, double, bool> _onHang;
    private readonly Thread _thread;
    private string? _suite;
    private long _started;
    private double _limitS;
    private bool _stopped;

    /// <param name="limitOf">a suite's hang limit in seconds, from its name</param>
    /// <param name="onHang">
    /// called on the watchdog's thread with the suite, the seconds it ran and its limit; returns whether it
    /// stopped the run (then the watchdog stops watching), false when the suite turned out to have ended
    /// </param>
    public SuiteWatchdog(Func<string, double> limitOf, Func<string, double, double, bool> onHang)
    {
        _limitOf = limitOf;
        _onHang = onHang;
        _thread = new Thread(Watch) { IsBackground = true, Name = "suite-watchdog" };
        _thread.Start();
    }

    /// <summary>The suite taken as hung, once the callback has stopped the run.</summary>
    public string? Hung { get; private set; }

    /// <summary>What the callback threw, if it did (the watchdog stopped watching then); read after <see cref="Dispose"/>.</summary>
    public Exception? Fault { get; private set; }

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
        while (Next() is var (suite, ran, limit))
        {
            try
            {
                if (!_onHang(suite, ran, limit)) continue;
                Hung = suite;
            }
            catch (Exception e)
            {
                Fault = e;
            }
            return;
        }
    }

    /// <summary>Waits until the running suite passes its limit (it, the seconds it ran, its limit), or null once stopped.</summary>
    private (string Suite, double Ran, double Limit)? Next()
    {
        lock (_gate)
        {
            while (!_stopped)
            {
                if (_suite is not { } suite)
                {
                    Monitor.Wait(_gate);
                    continue;
                }
                var ran = Stopwatch.GetElapsedTime(_started).TotalSeconds;
                var left = _limitS - ran;
                if (left > 0)
                {
                    Monitor.Wait(_gate, TimeSpan.FromSeconds(Math.Min(left, int.MaxValue / 1000.0)));
                    continue;
                }
                // Once per start: a suite that ends during the callback's reading of its threads is not taken again.
                _suite = null;
                return (suite, ran, _limitS);
            }
            return null;
        }
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
