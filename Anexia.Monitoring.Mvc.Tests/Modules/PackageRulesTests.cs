using System.IO.Compression;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyModel;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

[TestFixture]
public sealed class PackageRulesTests
{
    private static PackageVersionEntry Entry(string version, bool listed = true) => new(NuGetVersion.Parse(version), listed, []);

    [TestCase("1.0.0", "2.0.0", new[] { "1.0.0", "2.0.0", "3.0.0-beta" })]
    [TestCase("3.0.0-alpha", "3.0.0-beta", new[] { "1.0.0", "2.0.0", "3.0.0-beta" })]
    [TestCase("1.0.0", "1.0.0-rc2", new[] { "1.0.0-rc1", "1.0.0-rc2" })]
    [TestCase(null, "2.0.0", new[] { "1.0.0", "2.0.0", "3.0.0-beta" })]
    public void Newest_FollowsTheStableAndPrereleaseRules(string? installed, string expected, string[] available)
    {
        var newest = PackageRegistry.Newest(available.Select(v => Entry(v)), installed is null ? null : NuGetVersion.Parse(installed));

        Assert.That(newest?.ToNormalizedString(), Is.EqualTo(expected));
    }

    [Test]
    public void Newest_NeverPicksAnUnlistedVersion()
    {
        var newest = PackageRegistry.Newest([Entry("1.0.0"), Entry("9.0.0", listed: false)], NuGetVersion.Parse("1.0.0"));

        Assert.That(newest?.ToNormalizedString(), Is.EqualTo("1.0.0"));
    }

    [Test]
    public void Newest_WithNothingListed_IsNull() =>
        Assert.That(PackageRegistry.Newest([Entry("1.0.0", listed: false)], null), Is.Null);

    [TestCase("MIT", "https://x.test/l", new[] { "MIT" })]
    [TestCase(null, "https://x.test/l", new[] { "https://x.test/l" })]
    [TestCase(" ", "https://aka.ms/deprecateLicenseUrl", new string[0])]
    [TestCase(null, null, new string[0])]
    public void Licences_PreferTheExpressionThenTheUrlAndNeverGuess(string? expression, string? url, string[] expected) =>
        Assert.That(Licences.From(expression, url), Is.EqualTo(expected));

    [Test]
    public async Task Modules_FromALocalFolderSource_ReadsTheNupkgs()
    {
        var folder = Directory.CreateTempSubdirectory("anx-folder-feed-");
        try
        {
            WriteNupkg(folder.FullName, "Fixture.Alpha", "1.0.0", "MIT");
            WriteNupkg(folder.FullName, "Fixture.Alpha", "1.3.0", "Unlicense");
            await using var host = await ModulesHost.StartAsync(folder.FullName, installed: [new("Fixture.Alpha", "1.0.0")]);

            var alpha = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Alpha");

            Assert.That(alpha.GetProperty("newest_version").GetString(), Is.EqualTo("1.3.0"));
            Assert.That(alpha.GetProperty("newest_version_licences").EnumerateArray().Select(l => l.GetString()), Is.EqualTo(new[] { "Unlicense" }));
            Assert.That(alpha.GetProperty("installed_version_licences").EnumerateArray().Select(l => l.GetString()), Is.EqualTo(new[] { "MIT" }));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public void DependencyContextSource_ListsPackagesButNotProjects()
    {
        var packages = new DependencyManifestPackages().Read()?.Packages;

        Assert.That(packages, Is.Not.Null);
        Assert.That(packages!.Select(p => p.Name), Does.Contain("NUnit").And.Contain("Moq"));
        Assert.That(packages.Select(p => p.Name), Does.Not.Contain("Anexia.Monitoring.Mvc"), "the application's own projects are left out");
        Assert.That(packages.Select(p => p.Name), Has.None.StartsWith("Microsoft.NETCore.App.Runtime."), "the shared framework is the runtime, not a module");
    }

    [Test]
    public void DependencyContextSource_WithoutManifest_ReturnsNull() =>
        Assert.That(new DependencyManifestPackages(() => null).Read(), Is.Null);

    [Test]
    public void DependencyContextSource_OfASingleFileApplication_ReturnsNull()
    {
        // What DependencyContext.Default holds in a single-file application: the framework's deps file alone, whose
        // only entry is the runtime pack; the application's own deps.json stays inside the bundle.
        var singleFile = new DependencyContext(
            new TargetInfo(".NETCoreApp,Version=v10.0", runtime: null, runtimeSignature: null, isPortable: true),
            CompilationOptions.Default,
            [],
            [new RuntimeLibrary("package", "Microsoft.NETCore.App.Runtime.linux-x64", "10.0.12", string.Empty, [], [], [], [], serviceable: false)],
            []);

        Assert.That(new DependencyManifestPackages(() => singleFile).Read(), Is.Null);
    }

    private static void WriteNupkg(string folder, string id, string version, string licence)
    {
        using var zip = ZipFile.Open(Path.Combine(folder, $"{id}.{version}.nupkg"), ZipArchiveMode.Create);
        using var writer = new StreamWriter(zip.CreateEntry($"{id}.nuspec").Open());
        writer.Write($"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata><id>{id}</id><version>{version}</version><authors>a</authors><description>d</description>
              <license type="expression">{licence}</license></metadata>
            </package>
            """);
    }
}
