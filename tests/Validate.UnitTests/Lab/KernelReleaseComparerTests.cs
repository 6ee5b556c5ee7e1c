using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

public class KernelReleaseComparerTests
{
    [Test]
    public void Releases_order_numerically_not_as_text()
    {
        string[] releases = ["6.1.0-56-rt-amd64", "6.1.0-9-rt-amd64", "6.10.0-1-rt-amd64", "6.1.0-10-rt-amd64"];
        Assert.That(releases.Order(KernelReleaseComparer.Instance),
            Is.EqualTo(new[] { "6.1.0-9-rt-amd64", "6.1.0-10-rt-amd64", "6.1.0-56-rt-amd64", "6.10.0-1-rt-amd64" }));
    }

    [Test]
    public void The_newest_rt_kernel_with_modules_is_chosen()
    {
        var root = Directory.CreateTempSubdirectory("validate-kernels-");
        try
        {
            var boot = Directory.CreateDirectory(Path.Combine(root.FullName, "boot")).FullName;
            var mods = Directory.CreateDirectory(Path.Combine(root.FullName, "modules")).FullName;
            foreach (var r in new[] { "6.1.0-9-rt-amd64", "6.1.0-56-rt-amd64", "6.1.0-60-rt-amd64", "6.1.0-70-amd64" })
                File.WriteAllText(Path.Combine(boot, "vmlinuz-" + r), "");
            Directory.CreateDirectory(Path.Combine(mods, "6.1.0-9-rt-amd64"));
            Directory.CreateDirectory(Path.Combine(mods, "6.1.0-56-rt-amd64"));
            Directory.CreateDirectory(Path.Combine(mods, "6.1.0-70-amd64"));

            // 6.1.0-60 has no modules (half-removed) and 6.1.0-70 is not RT.
            Assert.That(LabHost.FindRtKernel(boot, mods)?.Release, Is.EqualTo("6.1.0-56-rt-amd64"));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
