using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class VirtualLabTests
{
    [TestCase("90", 90)]
    [TestCase("1", 1)]
    [TestCase("2.5", 2.5)]
    [TestCase(null, 60)]
    [TestCase("", 60)]
    [TestCase("0", 60)]
    [TestCase("601", 60)]
    [TestCase("soon", 60)]
    public void The_boot_deadline_is_taken_from_its_variable_within_1_to_600_s_else_60(string? value, double seconds) =>
        Assert.That(VirtualLab.BootDeadline(value), Is.EqualTo(TimeSpan.FromSeconds(seconds)));
}
