namespace Validate;

/// <summary>
/// Exit statuses of the <c>validate</c> CLI. Documented in README.md; keep both in step.
/// The lab's own failures sit at 122-124 (as timeout(1) does) so that they do not collide with
/// the small statuses that a command run inside the lab passes through.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Tests or verdicts failed; for <c>vlab</c>, whatever the command returned.</summary>
    public const int Failed = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;

    /// <summary>Bad input file (test plan, results file).</summary>
    public const int InputError = 3;

    /// <summary>The machine lacks something: root, a package, a kernel. The message says what.</summary>
    public const int SetupError = 4;

    /// <summary>
    /// Something the harness did not expect (a bug): one line and the path of a crash report holding the
    /// details (EX_SOFTWARE of sysexits.h).
    /// </summary>
    public const int Crash = 70;

    /// <summary>The guest did not run the command to completion (init failed, panic, topology mismatch).</summary>
    public const int LabFailure = 122;

    /// <summary>The command ran but the guest kernel log shows a WARNING, BUG, Oops, "nobody cared", ...</summary>
    public const int KernelLogProblem = 123;

    /// <summary>The lab ran past its timeout and QEMU was killed.</summary>
    public const int Timeout = 124;

    /// <summary>Stopped by SIGINT or SIGTERM (128 + signal number).</summary>
    public const int Interrupted = 130;
    public const int Terminated = 143;
}
