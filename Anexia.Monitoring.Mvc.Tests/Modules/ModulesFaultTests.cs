using System.Diagnostics;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>
/// A broken registry never breaks <c>modules</c>: the answer is 200, arrives by the deadline with nulls where data is
/// missing, and the next success fills them in. Real clock, short limits.
/// </summary>
[TestFixture]
public sealed class ModulesFaultTests
{
    private static readonly Dictionary<string, string?> ShortLimits = new()
    {
        ["AnxMonitoring:ModulesDeadline"] = "00:00:01",
        ["AnxMonitoring:LookupTimeout"] = "00:00:01.500",
        ["AnxMonitoring:ModulesFailureCacheLifetime"] = "00:00:00.300",
        ["AnxMonitoring:ModulesCacheLifetime"] = "00:00:01",
    };

    // The deadline plus room for a slow machine: the point is that nobody waits for the registry.
    private static readonly TimeSpan OnTime = TimeSpan.FromSeconds(6);

    private static async Task<JsonElement> GetOnTimeAsync(MonitoringTestHost host)
    {
        var watch = Stopwatch.StartNew();
        var root = await ModulesHost.ReadJsonAsync(await host.GetModulesAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.That(watch.Elapsed, Is.LessThan(OnTime), "the answer does not wait for a broken registry");
        return root;
    }

    private static string? Newest(JsonElement root, string name) =>
        ModulesHost.Module(root, name).GetProperty("newest_version").GetString();

    private static async Task AssertFilledLaterAsync(MonitoringTestHost host)
    {
        string? newest = null;
        await ModulesHost.WaitUntilAsync(() =>
        {
            newest = Newest(GetOnTimeAsync(host).GetAwaiter().GetResult(), "Fixture.Alpha");
            return newest is not null;
        });
        Assert.That(newest, Is.EqualTo("1.1.0"));
    }

    [TestCase(FeedFault.Status500)]
    [TestCase(FeedFault.Hang)]
    [TestCase(FeedFault.ResetConnection)]
    [TestCase(FeedFault.MalformedJson)]
    public async Task Modules_WhenRegistryFails_Answers200WithNullsThenFillsIn(FeedFault fault)
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        feed.Fault = fault;
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, ShortLimits);

        var broken = await GetOnTimeAsync(host);

        Assert.That(Newest(broken, "Fixture.Alpha"), Is.Null);
        Assert.That(ModulesHost.Module(broken, "Fixture.Alpha").GetProperty("installed_version").GetString(), Is.EqualTo("1.0.0"));
        Assert.That(ModulesHost.Module(broken, "Fixture.Alpha").GetProperty("installed_version_licences").GetArrayLength(), Is.Zero);

        feed.Fault = FeedFault.None;
        await AssertFilledLaterAsync(host);
    }

    [Test]
    public async Task Modules_WhenRegistryAnswers404ForOnePackage_OnlyThatOneIsNull()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        feed.NotFound["Fixture.Alpha"] = true;
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, ShortLimits);

        var root = await GetOnTimeAsync(host);

        Assert.That(Newest(root, "Fixture.Alpha"), Is.Null);
        Assert.That(Newest(root, "Fixture.Paged"), Is.EqualTo("3.0.0"));

        feed.NotFound.Clear();
        await AssertFilledLaterAsync(host);
    }

    [Test]
    public async Task Modules_WhenRegistryIsUnreachable_Answers200WithNullsThenFillsInOnceItIsUp()
    {
        var port = LocalNuGetFeed.FreePort();
        await using var host = await ModulesHost.StartAsync($"http://127.0.0.1:{port}/v3/index.json", ShortLimits);

        var root = await GetOnTimeAsync(host);
        Assert.That(Newest(root, "Fixture.Alpha"), Is.Null);
        Assert.That(root.GetProperty("runtime").GetProperty("platform").GetString(), Is.EqualTo("dotnet"));

        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed, port);
        await AssertFilledLaterAsync(host);
    }

    [Test]
    public async Task Modules_WhenRegistryIsSlowerThanTheDeadline_AnswersNullsAtTheDeadlineAndFillsInLater()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        feed.Latency = TimeSpan.FromSeconds(2);
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:ModulesDeadline"] = "00:00:00.500",
            ["AnxMonitoring:LookupTimeout"] = "00:00:20",
        });

        var early = await GetOnTimeAsync(host);
        Assert.That(Newest(early, "Fixture.Alpha"), Is.Null);

        feed.Latency = TimeSpan.Zero;
        await AssertFilledLaterAsync(host);
    }

    [Test]
    public async Task Lookups_LeaveNoFilesInTheTempFolder()
    {
        var scratch = Path.Combine(Path.GetTempPath(), "NuGetScratch");
        var before = Directory.Exists(scratch) ? Directory.GetFiles(scratch, "*", SearchOption.AllDirectories).Length : 0;
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, new() { ["AnxMonitoring:ModulesCacheLifetime"] = "00:00:00.050" });

        for (var i = 0; i < 5; i++)
        {
            (await host.GetModulesAsync()).Dispose();
            await Task.Delay(100);
        }

        var after = Directory.Exists(scratch) ? Directory.GetFiles(scratch, "*", SearchOption.AllDirectories).Length : 0;
        Assert.That(feed.RequestsTo("/v3/registration/"), Is.GreaterThan(Fixtures.Installed.Length), "several rounds of lookups ran");
        Assert.That(after, Is.LessThanOrEqualTo(before));
    }

    [Test]
    public async Task Modules_WhenEveryLookupOnASourceFailsLongerThanTheFailureLifetime_WarnsOncePerLifetimeAndSaysWhenItIsBack()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        feed.Fault = FeedFault.Status500;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:ModulesFailureCacheLifetime"] = "00:02:00",
            ["AnxMonitoring:ModulesCacheLifetime"] = "01:00:00",
        }, time: time);
        int Count(string name) => host.Logs.Entries.Count(e => e.EventId.Name == name);
        // A round: the lookups that are due start, and every one has ended (so its failure is stored before the clock moves on).
        async Task LookUpAgainAsync()
        {
            (await host.GetModulesAsync()).Dispose();
            await host.Services.GetRequiredService<Anexia.Monitoring.Mvc.Modules.ModuleLookups>().WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        }

        await LookUpAgainAsync();
        var afterFirstRound = Count("PackageSourceUnreachable");
        time.Advance(TimeSpan.FromMinutes(2));
        await LookUpAgainAsync();
        var afterSecondRound = Count("PackageSourceUnreachable");
        time.Advance(TimeSpan.FromMinutes(1));
        await LookUpAgainAsync();
        var withinTheLifetime = Count("PackageSourceUnreachable");
        time.Advance(TimeSpan.FromMinutes(1));
        await LookUpAgainAsync();
        var afterThirdRound = Count("PackageSourceUnreachable");

        feed.Fault = FeedFault.None;
        time.Advance(TimeSpan.FromMinutes(2));
        await LookUpAgainAsync();

        var warning = host.Logs.Entries.First(e => e.EventId.Name == "PackageSourceUnreachable");
        Assert.Multiple(() =>
        {
            Assert.That(afterFirstRound, Is.Zero, "a first failure is no outage yet");
            Assert.That(afterSecondRound, Is.EqualTo(1), "failing for one failure lifetime: one warning for the source, whatever the number of packages");
            Assert.That(withinTheLifetime, Is.EqualTo(1));
            Assert.That(afterThirdRound, Is.EqualTo(2), "one more per lifetime while it lasts");
            Assert.That(warning.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
            Assert.That(warning.Message, Does.Contain(feed.ServiceIndexUrl).And.Contain("00:02:00").And.Contain("500"));
            Assert.That(Count("PackageSourceRecovered"), Is.EqualTo(1), "back to normal: said once");
            Assert.That(host.Logs.Entries.Single(e => e.EventId.Name == "PackageSourceRecovered").Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Information));
        });
    }

    [Test]
    public void SourceAddress_WithCredentials_IsMaskedInMessages()
    {
        var client = new Anexia.Monitoring.Mvc.Modules.Registry.HttpFeedSource(
            new NuGet.Configuration.PackageSource("https://ci:FeedSecret9@feed.internal.example/v3/index.json"),
            TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeProvider.System, 1024 * 1024, maxConnections: 4);

        Assert.That(client.DisplayName, Is.EqualTo("https://***@feed.internal.example/v3/index.json"));
    }
}
