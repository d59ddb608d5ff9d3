using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>Direct and transitive packages, and what a transitive one is required by, from this test project's own deps.json.</summary>
[TestFixture]
public sealed class DependencyGraphTests
{
    [Test]
    public void Read_RealManifest_TellsDirectReferencesFromTransitivePackagesAndWhatTheyComeThrough()
    {
        var application = new DependencyManifestPackages().Read();

        Assert.That(application, Is.Not.Null);
        Assert.That(application!.Application.Name, Is.EqualTo("Anexia.Monitoring.Mvc.Tests"));
        Assert.That(application.Application.DependsOn, Does.Contain("Moq").And.Contain("NUnit").And.Contain("Anexia.Monitoring.Mvc"));
        Assert.That(application.Projects.Select(p => p.Name), Is.EquivalentTo(new[] { "Anexia.Monitoring.Mvc", "Anexia.Monitoring.Mvc.Sample" }));

        var nunit = Package(application, "NUnit");
        Assert.That((nunit.Direct, nunit.RequiredBy), Is.EqualTo((true, (IReadOnlyList<string>)[])));
        Assert.That(nunit.Sha512, Does.StartWith("sha512-"));

        var castle = Package(application, "Castle.Core");
        Assert.That(castle.Direct, Is.False);
        Assert.That(castle.RequiredBy, Is.EqualTo(new[] { "Moq" }));

        var protocol = Package(application, "NuGet.Protocol");
        Assert.That(protocol.Direct, Is.False);
        Assert.That(protocol.RequiredBy, Does.Contain("Anexia.Monitoring.Mvc"), "reached through a project reference");
        Assert.That(protocol.RequiredBy, Is.Ordered.Using((IComparer<string>)StringComparer.OrdinalIgnoreCase));

        var library = application.Projects.Single(p => p.Name == "Anexia.Monitoring.Mvc");
        Assert.That(library.DependsOn, Does.Contain("NuGet.Protocol"));
    }

    [Test]
    public async Task Modules_RealManifest_WritesDirectAndRequiredBy()
    {
        await using var host = await MonitoringTestHost.StartAsync(withIdentityDatabase: false);

        var root = await ReadJsonAsync(await host.GetModulesAsync());

        Assert.That(Module(root, "NUnit").GetProperty("direct").GetBoolean(), Is.True);
        Assert.That(Module(root, "NUnit").GetProperty("required_by").GetArrayLength(), Is.Zero);
        Assert.That(Module(root, "Castle.Core").GetProperty("direct").GetBoolean(), Is.False);
        Assert.That(Module(root, "Castle.Core").GetProperty("required_by").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "Moq" }));
    }

    [Test]
    public async Task Modules_ExcludedReference_IsNamedNowhere()
    {
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?> { ["AnxMonitoring:ExcludeModules:0"] = "Moq" }, withIdentityDatabase: false);

        var root = await ReadJsonAsync(await host.GetModulesAsync());

        Assert.That(root.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()), Does.Not.Contain("Moq"));
        Assert.That(Module(root, "Castle.Core").GetProperty("required_by").GetArrayLength(), Is.Zero, "reached only through the excluded Moq");
    }

    private static InstalledPackage Package(InstalledApplication application, string name) =>
        application.Packages.Single(p => p.Name == name);
}
