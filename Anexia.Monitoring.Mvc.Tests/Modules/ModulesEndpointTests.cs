using System.Text.Json;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

[TestFixture]
public sealed class ModulesEndpointTests
{
    private LocalNuGetFeed _feed = null!;

    [SetUp]
    public async Task StartFeed() => _feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);

    [TearDown]
    public async Task StopFeed() => await _feed.DisposeAsync();

    [Test]
    public async Task Modules_AnswersTheContractShapeWithRuntimeAndSortedModules()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        using var response = await host.GetModulesAsync();
        ContractAssert.HasContractHeaders(response);
        var root = await ModulesHost.ReadJsonAsync(response);

        Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "runtime", "modules" }));
        var runtime = root.GetProperty("runtime");
        Assert.That(runtime.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "platform", "platform_version", "framework", "framework_installed_version", "framework_newest_version",
            "platform_newest_version", "platform_support_phase", "platform_end_of_support", "platform_vulnerabilities",
        }), "the contract's five keys first and unchanged, then this library's additions");
        Assert.That(runtime.GetProperty("platform").GetString(), Is.EqualTo("dotnet"));
        Assert.That(runtime.GetProperty("platform_version").GetString(), Is.EqualTo(Environment.Version.ToString()));
        Assert.That(runtime.GetProperty("framework").GetString(), Is.EqualTo("aspnetcore"));
        Assert.That(runtime.GetProperty("framework_installed_version").GetString(), Does.Match(@"^\d+\.\d+\.\d+"));
        Assert.That(runtime.GetProperty("framework_newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null), "the fixture feed has no ASP.NET Core package");

        var names = root.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.That(names, Is.EqualTo(Fixtures.Installed.Select(p => p.Name).Order(StringComparer.OrdinalIgnoreCase)));
        var alpha = ModulesHost.Module(root, "Fixture.Alpha");
        Assert.That(alpha.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "name", "installed_version", "installed_version_licences", "newest_version", "newest_version_licences",
            "installed_version_vulnerabilities", "installed_version_deprecation",
            "direct", "required_by", "newest_compatible_version", "update_kind",
        }), "the contract's five keys first and unchanged, then this library's additions");
        Assert.That(alpha.GetProperty("installed_version_vulnerabilities").GetArrayLength(), Is.Zero);
        Assert.That(alpha.GetProperty("installed_version_deprecation").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("Fixture.Alpha", "1.0.0", new[] { "MIT" }, "1.1.0", new[] { "MIT OR Apache-2.0" }, TestName = "Newest is the highest stable, not a higher prerelease")]
    [TestCase("Fixture.OnlyPrerelease", "1.0.0-rc1", new[] { "MIT" }, "1.0.0-rc2", new[] { "BSD-3-Clause" }, TestName = "Without any stable version, prereleases count")]
    [TestCase("Fixture.Unlisted", "2.0.0", new[] { "GPL-3.0-only" }, "1.0.0", new[] { "MIT" }, TestName = "Unlisted never counts as newest, yet an unlisted installed version is described")]
    [TestCase("Fixture.Prerelease", "1.1.0-alpha", new[] { "MIT" }, "1.1.0-beta", new[] { "Apache-2.0" }, TestName = "An installed prerelease lets prereleases count")]
    [TestCase("Fixture.Paged", "1.0.0", new[] { "MIT" }, "3.0.0", new[] { "Apache-2.0" }, TestName = "A paged registration is followed")]
    [TestCase("Fixture.UrlLicence", "1.0.0", new[] { Fixtures.UrlLicence }, "1.0.0", new[] { Fixtures.UrlLicence }, TestName = "Without an expression the licence URL is the licence")]
    [TestCase("Fixture.NuspecOnly", "1.0.0", new[] { "Apache-2.0" }, "1.2.0", new[] { "MPL-2.0" }, TestName = "Without licence in the registration the nuspec is read")]
    [TestCase("Fixture.Foreign", "1.0.0", new[] { "MIT" }, "1.0.0", new[] { "MIT" }, TestName = "Registration entries of another id are ignored")]
    public async Task Modules_AppliesTheVersionAndLicenceRules(string name, string installed, string[] installedLicences, string newest, string[] newestLicences)
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        var module = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), name);

        Assert.Multiple(() =>
        {
            Assert.That(module.GetProperty("installed_version").GetString(), Is.EqualTo(installed));
            Assert.That(ModulesHost.Licences(module, "installed_version_licences"), Is.EqualTo(installedLicences));
            Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo(newest));
            Assert.That(ModulesHost.Licences(module, "newest_version_licences"), Is.EqualTo(newestLicences));
        });
    }

    [Test]
    public async Task Modules_PackageNoSourceKnows_IsListedWithNulls()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        var module = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Private.Package");

        Assert.That(module.GetProperty("installed_version").GetString(), Is.EqualTo("4.2.0"));
        Assert.That(module.GetProperty("newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(ModulesHost.Licences(module, "installed_version_licences"), Is.Empty);
        Assert.That(ModulesHost.Licences(module, "newest_version_licences"), Is.Empty);
    }

    [Test]
    public async Task Modules_WithExcludePatterns_LeavesThoseOut()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, new()
        {
            ["ANX_MONITORING_EXCLUDE_MODULES"] = "fixture.p*;Private.Package",
        });

        var names = (await ModulesHost.ReadJsonAsync(await host.GetModulesAsync())).GetProperty("modules").EnumerateArray()
            .Select(m => m.GetProperty("name").GetString()).ToList();

        Assert.That(names, Does.Not.Contain("Fixture.Paged").And.Not.Contain("Fixture.Prerelease").And.Not.Contain("Private.Package"));
        Assert.That(names, Does.Contain("Fixture.Alpha"));
    }

    [Test]
    public async Task Modules_WithHostNamingPolicyAndXmlFormatter_KeepsContractKeys()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, services: s => s.AddControllers()
            .AddJsonOptions(o => o.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.KebabCaseUpper)
            .AddXmlSerializerFormatters());
        host.Client.DefaultRequestHeaders.Accept.ParseAdd("application/xml");

        var root = await ModulesHost.ReadJsonAsync(await host.GetModulesAsync());

        Assert.That(root.GetProperty("runtime").GetProperty("framework_installed_version").ValueKind, Is.EqualTo(JsonValueKind.String));
        Assert.That(ModulesHost.Module(root, "Fixture.Alpha").GetProperty("installed_version_licences").GetArrayLength(), Is.EqualTo(1));
    }

    [Test]
    public async Task Modules_ConcurrentRequests_FetchEachPackageOnceAndWarmAnswersAskNothing()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);
        _feed.ResetCounters();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.GetModulesAsync())).WaitAsync(ModulesHost.HangGuard);
        var bodies = await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync()));
        var afterFirst = _feed.RequestsTo("/v3/registration/");

        for (var i = 0; i < 10; i++)
        {
            (await host.GetModulesAsync()).Dispose();
        }

        // Warm-up at start may have fetched some already; together, one registration index per known package (+1 page).
        Assert.That(afterFirst, Is.LessThanOrEqualTo(Fixtures.Installed.Length + 1 /* framework */ + 1 /* page */));
        Assert.That(_feed.RequestsTo("/v3/registration/"), Is.EqualTo(afterFirst), "warm answers ask the feed nothing");
        Assert.That(bodies.Distinct().Count(), Is.EqualTo(1));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Test]
    public async Task Modules_WithoutDependencyManifest_AnswersEmptyModulesWithRuntimeAndWarns()
    {
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, noDependencyManifest: true);

        var root = await ModulesHost.ReadJsonAsync(await host.GetModulesAsync());

        Assert.That(root.GetProperty("modules").GetArrayLength(), Is.Zero);
        Assert.That(root.GetProperty("runtime").GetProperty("platform").GetString(), Is.EqualTo("dotnet"));
        Assert.That(host.Logs.Entries.Count(e => e.EventId.Name == "NoDependencyManifest"), Is.EqualTo(1));
    }

    [Test]
    public async Task Modules_FromTwoSources_TakesTheNewestAcrossBoth()
    {
        await using var second = await LocalNuGetFeed.StartAsync([new FeedPackage("Fixture.Alpha", [new("1.5.0", LicenseExpression: "0BSD")])]);
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, new() { ["AnxMonitoring:PackageSources:1"] = second.ServiceIndexUrl });

        var alpha = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Alpha");

        Assert.That(alpha.GetProperty("newest_version").GetString(), Is.EqualTo("1.5.0"));
        Assert.That(ModulesHost.Licences(alpha, "newest_version_licences"), Is.EqualTo(new[] { "0BSD" }));
        Assert.That(ModulesHost.Licences(alpha, "installed_version_licences"), Is.EqualTo(new[] { "MIT" }));
    }

    [Test]
    public async Task Modules_InstalledLicenceFromLocalPackagesFolder_NeedsNoNetwork()
    {
        var folder = Directory.CreateTempSubdirectory("anx-packages-");
        try
        {
            var nuspecFolder = Directory.CreateDirectory(Path.Combine(folder.FullName, "fixture.nuspeconly", "1.0.0"));
            await File.WriteAllTextAsync(Path.Combine(nuspecFolder.FullName, "fixture.nuspeconly.nuspec"), """
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata><id>Fixture.NuspecOnly</id><version>1.0.0</version><authors>a</authors><description>d</description>
                  <license type="expression">ISC</license></metadata>
                </package>
                """);
            await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, services: s => s.AddSingleton(provider => new PackageRegistry(
                provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnxMonitoringOptions>>(),
                Microsoft.Extensions.Logging.Abstractions.NullLogger<PackageRegistry>.Instance,
                folder.FullName)));

            var module = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.NuspecOnly");

            Assert.That(ModulesHost.Licences(module, "installed_version_licences"), Is.EqualTo(new[] { "ISC" }), "the local nuspec wins over the network one");
            Assert.That(_feed.RequestsTo("/fixture.nuspeconly/1.0.0/"), Is.Zero);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public async Task Modules_CacheLifetimeAndFailureLifetime_FollowTheClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:ModulesCacheLifetime"] = "01:00:00",
            ["AnxMonitoring:ModulesFailureCacheLifetime"] = "00:02:00",
        }, installed: [new("Fixture.Alpha", "1.0.0")], time: time);

        Assert.That(ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Alpha").GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"));
        var lookups = host.Services.GetRequiredService<ModuleLookups>();
        await lookups.WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        _feed.ResetCounters();

        // Each entry's own expiry carries up to a tenth of the lifetime of jitter: fresh until 54 minutes for sure.
        time.Advance(TimeSpan.FromMinutes(53));
        (await host.GetModulesAsync()).Dispose();
        await lookups.WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        Assert.That(_feed.RequestsTo("/v3/registration/"), Is.Zero, "fresh within the lifetime");

        // Stale: answered at once from the old data, refreshed behind; the refresh fails and is remembered briefly.
        _feed.Fault = FeedFault.Status500;
        time.Advance(TimeSpan.FromMinutes(8));
        var stale = ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Alpha");
        Assert.That(stale.GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"));
        await lookups.WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        var afterFailure = _feed.Requests;

        (await host.GetModulesAsync()).Dispose();
        await lookups.WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        Assert.That(_feed.Requests, Is.EqualTo(afterFailure), "a failure is not retried before its lifetime passes");
        Assert.That(ModulesHost.Module(await ModulesHost.ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Alpha").GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"), "old data survives a failed refresh");

        _feed.Fault = FeedFault.None;
        time.Advance(TimeSpan.FromMinutes(2));
        (await host.GetModulesAsync()).Dispose();
        await ModulesHost.WaitUntilAsync(() => _feed.Requests > afterFailure);
    }
}
