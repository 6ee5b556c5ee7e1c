using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class KernelLogScannerTests
{
    [TestCase("[   12.3] WARNING: CPU: 1 PID: 231 at drivers/valirq/main.c:120 valirq_irq+0x12/0x40", "kernel WARNING")]
    [TestCase("[    5.1] BUG: kernel NULL pointer dereference, address: 0000000000000008", "kernel BUG")]
    [TestCase("[    5.1] BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c:46", "kernel BUG")]
    [TestCase("[    5.1] kernel BUG at drivers/uio/uio.c:42!", "kernel BUG")]
    [TestCase("[    5.2] Oops: 0002 [#1] PREEMPT_RT SMP NOPTI", "kernel Oops")]
    [TestCase("[    5.2] general protection fault, probably for non-canonical address 0xdead000000000100", "general protection fault")]
    [TestCase("[   33.0] irq 11: nobody cared (try booting with the \"irqpoll\" option)", "interrupt nobody cared")]
    [TestCase("[  245.0] INFO: task validate:412 blocked for more than 120 seconds.", "hung task")]
    [TestCase("[    9.0] WARNING: possible circular locking dependency detected", "kernel WARNING")]
    [TestCase("[    9.0] inconsistent lock state", "lockdep splat")]
    [TestCase("[   60.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall")]
    [TestCase("[   60.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [stress-ng:99]", "kernel BUG")]
    [TestCase("[   61.0] Kernel panic - not syncing: Fatal exception", "kernel panic")]
    public void Each_class_of_kernel_problem_is_found(string line, string kind)
    {
        var found = KernelLogScanner.Scan(["[    0.0] Linux version 6.1.0-56-rt-amd64", line, "[    0.1] next"], "guest.log");

        Assert.That(found, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(found[0].Kind, Is.EqualTo(kind));
            Assert.That(found[0].LineNumber, Is.EqualTo(2));
            Assert.That(found[0].ToString(), Does.Contain(line.Trim()).And.Contain("guest.log:2"));
        });
    }

    [Test]
    public void A_clean_boot_of_the_lab_kernel_has_no_finding()
    {
        // A real boot log of the lab kernel; it says "report a bug" and "This is not a bug.", which must not count.
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "TestData", "guest-boot-clean.log");
        var text = File.ReadAllText(path);
        Assert.That(text, Does.Contain("PREEMPT_RT").And.Contain("bug"), "the fixture should be a real boot log with harmless 'bug' wording");

        Assert.That(KernelLogScanner.ScanFile(path), Is.Empty);
    }

    [Test]
    public void A_missing_log_file_has_no_finding() =>
        Assert.That(KernelLogScanner.ScanFile("/nonexistent/kernel.log"), Is.Empty);
}
