using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using NuGet.Versioning;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>The kind of update (<c>update_kind</c>) and the newest version with the installed major (<c>newest_compatible_version</c>).</summary>
[TestFixture]
public sealed class UpdateKindTests
{
    [TestCase("1.2.3", "2.0.0", "major")]
    [TestCase("1.2.3", "1.3.0", "minor")]
    [TestCase("1.2.3", "1.2.4", "patch")]
    [TestCase("1.2.3", "1.2.3.1", "patch")]
    [TestCase("2.0.0-beta.1", "2.0.0", "patch")]
    [TestCase("1.9.0-rc.1", "2.0.0-rc.2", "major")]
    [TestCase("1.2.3", "1.2.3", "none")]
    [TestCase("1.2.3+build.5", "1.2.3", "none")]
    [TestCase("1.3.0", "1.2.3", "none")]
    [TestCase("not-a-version", "1.0.0", null)]
    [TestCase("1.0.0", null, null)]
    public void UpdateKind_IsTheFirstVersionPartThatDiffers(string installed, string? newest, string? expected) =>
        Assert.That(ModulesJson.UpdateKind(installed, newest is null ? null : NuGetVersion.Parse(newest)), Is.EqualTo(expected));

    [Test]
    public async Task Modules_AcrossMajorsMinorsPatchesAndPrereleases_NamesTheUpdateAndTheNewestCompatibleVersion()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(
        [
            new FeedPackage("Fixture.Majors", [new("1.0.0"), new("1.2.0"), new("1.2.5"), new("1.9.0", Listed: false), new("2.0.0"), new("3.0.0-beta.1")]),
            new FeedPackage("Fixture.Minors", [new("1.0.0"), new("1.1.0")]),
            new FeedPackage("Fixture.Patches", [new("4.1.0"), new("4.1.2")]),
            new FeedPackage("Fixture.Newest", [new("1.0.0"), new("2.0.0")]),
            new FeedPackage("Fixture.Prerelease", [new("1.0.0"), new("2.0.0-beta.1"), new("2.0.0-beta.2")]),
        ]);
        await using var host = await StartAsync(feed.ServiceIndexUrl, installed:
        [
            new("Fixture.Majors", "1.2.0"),
            new("Fixture.Minors", "1.0.0"),
            new("Fixture.Patches", "4.1.0"),
            new("Fixture.Newest", "2.0.0"),
            new("Fixture.Prerelease", "2.0.0-beta.1"),
            new("Fixture.Unknown", "1.0.0"),
        ]);

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());

        Assert.Multiple(() =>
        {
            AssertUpdate(root, "Fixture.Majors", "major", "2.0.0", "1.2.5");
            AssertUpdate(root, "Fixture.Minors", "minor", "1.1.0", "1.1.0");
            AssertUpdate(root, "Fixture.Patches", "patch", "4.1.2", "4.1.2");
            AssertUpdate(root, "Fixture.Newest", "none", "2.0.0", "2.0.0");
            AssertUpdate(root, "Fixture.Prerelease", "patch", "2.0.0-beta.2", "2.0.0-beta.1");
            AssertUpdate(root, "Fixture.Unknown", null, null, null);
        });
    }

    private static void AssertUpdate(System.Text.Json.JsonElement root, string name, string? kind, string? newest, string? compatible)
    {
        var module = Module(root, name);
        Assert.That(
            (module.GetProperty("update_kind").GetString(), module.GetProperty("newest_version").GetString(), module.GetProperty("newest_compatible_version").GetString()),
            Is.EqualTo((kind, newest, compatible)),
            name);
    }
}
