using NUnit.Framework;
using Validate.Lab;

namespace Validate.UnitTests.Lab;

/// <summary>The lab's two kernel flavours: the --kernel value, and which installed kernel each one boots.</summary>
public class LabKernelTests
{
    [TestCase("6.1.0-57-rt-amd64", "rt-amd64")]
    [TestCase("6.1.0-57-amd64", "amd64")]
    [TestCase("6.1.0-57-cloud-amd64", "cloud-amd64")]
    [TestCase("6.12.48+deb13-amd64", "amd64")]
    [TestCase("6.12.48+deb13-rt-amd64", "rt-amd64")]
    [TestCase("6.18.44-fc-v1045", "fc-v1045")]
    [TestCase("6.1.0", null)]
    public void The_flavour_is_what_follows_version_and_abi(string release, string? flavour) =>
        Assert.That(LabKernel.FlavourOf(release), Is.EqualTo(flavour));

    [TestCase("rt", "rt-amd64", "linux-image-rt-amd64", "linux-headers-rt-amd64")]
    [TestCase("generic", "amd64", "linux-image-amd64", "linux-headers-amd64")]
    public void Each_kernel_names_its_flavour_and_packages(string name, string flavour, string image, string headers)
    {
        var k = LabKernel.Get(name);
        Assert.That((k.Name, k.Flavour, k.ImagePackage, k.HeadersPackage), Is.EqualTo((name, flavour, image, headers)));
    }

    [Test]
    public void The_default_is_the_rt_kernel() =>
        Assert.That(LabKernel.Get(LabKernel.DefaultName), Is.SameAs(LabKernel.Rt));

    [TestCase("RT")]
    [TestCase("preempt-rt")]
    [TestCase("")]
    [TestCase("amd64")]
    public void An_unknown_kernel_is_a_usage_error_naming_the_option_and_the_choices(string name)
    {
        var e = Assert.Throws<ValidateException>(() => LabKernel.Get(name))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.Usage));
        Assert.That(e.Message, Does.StartWith($"--kernel '{name}': choose one of rt ").And.Contain("generic (Debian's standard kernel)"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    private sealed class Machine : IDisposable
    {
        private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("validate-kernels-");
        public string Boot => Path.Combine(_root.FullName, "boot");
        public string Modules => Path.Combine(_root.FullName, "modules");

        public Machine(string[] images, string[] modules)
        {
            Directory.CreateDirectory(Boot);
            Directory.CreateDirectory(Modules);
            foreach (var r in images) File.WriteAllText(Path.Combine(Boot, "vmlinuz-" + r), "");
            foreach (var r in modules) Directory.CreateDirectory(Path.Combine(Modules, r));
            // What else sits in /boot must not be taken for a kernel.
            File.WriteAllText(Path.Combine(Boot, "config-6.1.0-99-amd64"), "");
            File.WriteAllText(Path.Combine(Boot, "initrd.img-6.1.0-99-amd64"), "");
        }

        public void Dispose() => _root.Delete(recursive: true);
    }

    private static readonly string[] Installed =
        ["6.1.0-9-rt-amd64", "6.1.0-57-rt-amd64", "6.1.0-9-amd64", "6.1.0-57-amd64", "6.1.0-60-amd64", "6.1.0-70-cloud-amd64"];

    // 6.1.0-60-amd64 has no modules (half-removed), 6.1.0-70 is the cloud flavour, 6.1.0-99 has modules, a config and an initrd but no image.
    private static readonly string[] WithModules =
        ["6.1.0-9-rt-amd64", "6.1.0-57-rt-amd64", "6.1.0-9-amd64", "6.1.0-57-amd64", "6.1.0-70-cloud-amd64", "6.1.0-99-amd64"];

    [Test]
    public void The_generic_kernel_is_the_newest_plain_amd64_one_with_modules()
    {
        using var m = new Machine(Installed, WithModules);
        var k = LabHost.FindKernel(LabKernel.Generic, m.Boot, m.Modules);
        Assert.That(k?.Release, Is.EqualTo("6.1.0-57-amd64"));
        Assert.That(k?.Image, Is.EqualTo(Path.Combine(m.Boot, "vmlinuz-6.1.0-57-amd64")));
    }

    [Test]
    public void The_rt_kernel_is_the_newest_rt_one_with_modules_whatever_generic_kernels_are_newer()
    {
        using var m = new Machine([.. Installed, "6.1.0-80-amd64"], [.. WithModules, "6.1.0-80-amd64"]);
        Assert.That(LabHost.FindKernel(LabKernel.Rt, m.Boot, m.Modules)?.Release, Is.EqualTo("6.1.0-57-rt-amd64"));
        Assert.That(LabHost.FindRtKernel(m.Boot, m.Modules)?.Release, Is.EqualTo("6.1.0-57-rt-amd64"));
        Assert.That(LabHost.FindKernel(LabKernel.Generic, m.Boot, m.Modules)?.Release, Is.EqualTo("6.1.0-80-amd64"));
    }

    [Test]
    public void Only_rt_kernels_installed_means_no_generic_kernel()
    {
        using var m = new Machine(["6.1.0-57-rt-amd64", "6.1.0-57-cloud-amd64"], ["6.1.0-57-rt-amd64", "6.1.0-57-cloud-amd64"]);
        Assert.That(LabHost.FindKernel(LabKernel.Generic, m.Boot, m.Modules), Is.Null);
        Assert.That(LabHost.FindKernel(LabKernel.Rt, m.Boot, m.Modules)?.Release, Is.EqualTo("6.1.0-57-rt-amd64"));
    }

    [Test]
    public void Only_a_generic_kernel_installed_means_no_rt_kernel()
    {
        using var m = new Machine(["6.1.0-57-amd64"], ["6.1.0-57-amd64"]);
        Assert.That(LabHost.FindKernel(LabKernel.Rt, m.Boot, m.Modules), Is.Null);
    }

    [Test]
    public void No_boot_directory_means_no_kernel() =>
        Assert.That(LabHost.FindKernel(LabKernel.Generic, "/nonexistent/boot", "/nonexistent/modules"), Is.Null);

    [TestCase("generic", "linux-image-amd64 linux-headers-amd64")]
    [TestCase("rt", "linux-image-rt-amd64 linux-headers-rt-amd64")]
    public void A_missing_kernel_is_a_setup_error_naming_the_packages(string name, string packages)
    {
        using var m = new Machine(name == "rt" ? ["6.1.0-57-amd64"] : ["6.1.0-57-rt-amd64"], ["6.1.0-57-amd64", "6.1.0-57-rt-amd64"]);
        var e = Assert.Throws<ValidateException>(() => LabHost.Detect(RepositoryLayout.Find(), LabKernel.Get(name), m.Boot, m.Modules))!;
        Assert.That(e.ExitCode, Is.EqualTo(ExitCodes.SetupError));
        Assert.That(e.Message, Does.StartWith($"--kernel {name}: ").And.EndWith($"apt-get install {packages}"));
    }
}
