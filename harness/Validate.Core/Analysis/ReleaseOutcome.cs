using Validate.Devices;
using Validate.Interop;

namespace Validate.Analysis;

/// <summary>
/// What valirq's release did with the card when a driver went away (docs/faults.md): quiesced (the plan's
/// quiesce program silenced it), reset (the function was reset), neither (the card was left interrupting,
/// INTx held disabled at the card, or a reset the policy asked for failed), none (no steps were asked,
/// as for a revoked opener, and the card was silent), or unobserved (nothing said what happened). Told by
/// valirq's sysfs after a release the harness knows happened (last_release; with an older valirq, the
/// counters quiesces, resets, quiesce_failures, reset_failures), or by the flags of a record the driver
/// read (a restarted driver's first record, or the GONE record of an unbind), which the driver reports as
/// a `release` line.
/// </summary>
public static class ReleaseOutcome
{
    public const string Quiesced = "quiesced", Reset = "reset", Neither = "neither", None = "none", Unobserved = "unobserved";

    public static readonly string[] All = [Quiesced, Reset, Neither, None, Unobserved];

    private static readonly string[] Moving = ["quiesces", "resets", "quiesce_failures", "reset_failures"];

    /// <summary>
    /// From valirq's sysfs before and after one release the caller knows happened in between (the driver
    /// exited, or closed the card after a revocation): last_release names it; without last_release (an
    /// older valirq) the counters that moved: a reset, else a failed quiesce or reset (neither), else a
    /// quiesce; nothing moved and no last_release: unobserved.
    /// </summary>
    public static string FromSysfs(ValirqSysfs before, ValirqSysfs after)
    {
        if (!after.Present) return Unobserved;
        if (after.LastRelease is Quiesced or Reset or Neither or None) return after.LastRelease;
        long D(string n) => after[n] - before[n];
        if (!Moving.Any(n => D(n) != 0)) return Unobserved;
        if (D("resets") > 0) return Reset;
        if (D("quiesce_failures") > 0 || D("reset_failures") > 0) return Neither;
        return Quiesced;
    }

    /// <summary>From the flags of a valirq record: RESET, UNQUIESCED (neither), QUIESCED; null when none is set.</summary>
    public static string? FromFlags(uint flags) =>
        (flags & Valirq.EvReset) != 0 ? Reset
        : (flags & Valirq.EvUnquiesced) != 0 ? Neither
        : (flags & Valirq.EvQuiesced) != 0 ? Quiesced
        : null;

    /// <summary>The repetition's outcome: sysfs when it saw the release, else what the driver reported, else unobserved.</summary>
    public static string Combine(string fromSysfs, string? fromDriver) =>
        fromSysfs != Unobserved ? fromSysfs : fromDriver is Quiesced or Reset or Neither or None ? fromDriver : Unobserved;

    /// <summary>Outcomes summed over a suite's repetitions.</summary>
    public static Results.ReleaseCounts Count(IEnumerable<string?> outcomes)
    {
        long q = 0, r = 0, n = 0, z = 0, u = 0;
        foreach (var o in outcomes)
        {
            switch (o)
            {
                case Quiesced: q++; break;
                case Reset: r++; break;
                case Neither: n++; break;
                case None: z++; break;
                default: u++; break;
            }
        }
        return new Results.ReleaseCounts(q, r, n, z, u);
    }
}
