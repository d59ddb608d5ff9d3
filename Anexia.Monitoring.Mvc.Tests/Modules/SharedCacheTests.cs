using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>
/// Replicas of one application share their package lookups through a real Redis (started by the fixture), each
/// replica a host of its own in this process, all asking one test feed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SharedCacheTests
{
    private RedisServer _redis = null!;
    private LocalNuGetFeed _feed = null!;

    [OneTimeSetUp]
    public async Task StartRedis() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedis()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [SetUp]
    public async Task StartFeed() => _feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);

    [TearDown]
    public async Task StopFeed() => await _feed.DisposeAsync();

    /// <summary>One replica: the README's set-up plus the host's Redis cache (each test has its own feed, so its own keys).</summary>
    private Task<MonitoringTestHost> ReplicaAsync(TimeProvider? time = null, Dictionary<string, string?>? settings = null) =>
        ModulesHost.StartAsync(_feed.ServiceIndexUrl, settings, time: time,
            services: s => s.AddStackExchangeRedisCache(o => o.Configuration = _redis.Configuration));

    private static Task SettledAsync(MonitoringTestHost replica) =>
        replica.Services.GetRequiredService<ModuleLookups>().WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);

    private static async Task<string> CompleteAnswerAsync(MonitoringTestHost replica)
    {
        var bytes = await replica.Services.GetRequiredService<ModulesCatalog>().GetCompleteReportAsync(null, CancellationToken.None).WaitAsync(ModulesHost.HangGuard);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    private int RegistryRequests => _feed.RequestsTo("/v3/registration/");

    [Test]
    public async Task LateReplica_AnswersItsFirstCompleteModulesWithoutAskingTheRegistry()
    {
        await using var first = await ReplicaAsync();
        await using var second = await ReplicaAsync();
        var warm = await CompleteAnswerAsync(first);
        await CompleteAnswerAsync(second);
        _feed.ResetCounters();

        await using var late = await ReplicaAsync();
        using var response = await late.GetModulesAsync();
        var answer = await response.Content.ReadAsStringAsync();
        await SettledAsync(late);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(answer, Is.EqualTo(warm), "complete, and the same as the warm replica's");
            Assert.That(_feed.Requests, Is.Zero, "no request to the registry at all");
            Assert.That(late.Logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable"), Is.Empty);
        });
    }

    [Test]
    public async Task ThreeReplicasOverASimulatedHour_CostAtMostOnePointTwoRegistryRequestsPerPackage()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        MonitoringTestHost[] replicas = [await ReplicaAsync(time), await ReplicaAsync(time), await ReplicaAsync(time)];
        try
        {
            foreach (var replica in replicas)
            {
                await CompleteAnswerAsync(replica);
            }

            var packages = Fixtures.Installed.Length + 1; // the installed packages and the ASP.NET Core framework
            _feed.ResetCounters();
            for (var minute = 5; minute <= 65; minute += 5)
            {
                time.Advance(TimeSpan.FromMinutes(5));
                foreach (var replica in replicas)
                {
                    using var response = await replica.GetModulesAsync();
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                    await SettledAsync(replica);
                }
            }

            var perPackage = RegistryRequests / (double)packages;
            TestContext.Out.WriteLine($"{RegistryRequests} registry requests for {packages} packages over the hour: {perPackage:F2} per package");
            Assert.That(perPackage, Is.LessThanOrEqualTo(1.2), "one refresh per package for the three replicas together");
            Assert.That(RegistryRequests, Is.GreaterThan(0), "the data was refreshed once its hour was over");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task RedisStoppedMidRun_EveryAnswerOnTimeAndComplete_AndSharedAgainOnceItIsBack()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var first = await ReplicaAsync(time);
        await using var second = await ReplicaAsync(time);
        var warm = await CompleteAnswerAsync(first);
        await CompleteAnswerAsync(second);

        await _redis.StopServerAsync();
        try
        {
            time.Advance(TimeSpan.FromMinutes(61));
            foreach (var replica in new[] { first, second })
            {
                var watch = Stopwatch.StartNew();
                using var response = await replica.GetModulesAsync();
                var answer = await response.Content.ReadAsStringAsync();
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)), "stale data answered at once");
                Assert.That(answer, Is.EqualTo(warm), "complete: the old data while the refresh runs");
                await SettledAsync(replica);
                Assert.That(await CompleteAnswerAsync(replica), Is.EqualTo(warm), "refreshed from the registry itself");
            }

            Assert.That(first.Logs.Entries.Count(e => e.EventId.Name == "SharedCacheUnavailable"), Is.EqualTo(1), "said once");
        }
        finally
        {
            await _redis.StartServerAsync();
        }

        // Back: once the pause after the failure is over, the next refresh shares again; a new replica then asks nothing.
        await ModulesHost.WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(61));
            (first.GetModulesAsync().GetAwaiter().GetResult()).Dispose();
            SettledAsync(first).GetAwaiter().GetResult();
            return first.Logs.Entries.Any(e => e.EventId.Name == "SharedCacheAvailable");
        });
        _feed.ResetCounters();
        await using var late = await ReplicaAsync(time);
        var lateAnswer = await CompleteAnswerAsync(late);

        Assert.Multiple(() =>
        {
            Assert.That(lateAnswer, Is.EqualTo(warm));
            Assert.That(RegistryRequests, Is.Zero, "lookups are shared again after the restart");
        });
    }

    /// <summary>Ways to poison the shared entry of Fixture.Alpha 1.0.0, each starting from a well-formed entry that claims 9.9.9 is its newest version.</summary>
    private static IEnumerable<TestCaseData> Poisons()
    {
        TestCaseData Case(string name, Func<JsonObject, byte[]> poison) => new TestCaseData(poison).SetArgDisplayNames(name);

        yield return Case("deprecation reasons null", e => Bytes(e, x => x["info"]!["installedDeprecation"] = new JsonObject { ["reasons"] = null, ["message"] = "m" }));
        yield return Case("another package's entry", e => Bytes(e, x => x["id"] = "Fixture.Paged"));
        yield return Case("another version's entry", e => Bytes(e, x => x["version"] = "1.1.0"));
        yield return Case("expiry far beyond the lifetime", e => Bytes(e, x =>
        {
            x["writtenAt"] = DateTimeOffset.UtcNow.AddHours(-2);
            x["expiresAt"] = DateTimeOffset.UtcNow.AddYears(100);
        }));
        yield return Case("written in the future", e => Bytes(e, x => x["writtenAt"] = DateTimeOffset.UtcNow.AddDays(1)));
        yield return Case("a megabyte", e => Bytes(e, x => x["padding"] = new string('x', 1024 * 1024)));
        yield return Case("javascript advisory", e => Bytes(e, x => x["info"]!["installedVulnerabilities"] = new JsonArray(new JsonObject { ["severity"] = 3, ["advisoryUrl"] = "javascript:alert(1)" })));
        yield return Case("newest not a version", e => Bytes(e, x => x["info"]!["newestVersion"] = "not-a-version"));
        yield return Case("licences null", e => Bytes(e, x => x["info"]!["installedLicences"] = null));
        yield return Case("unknown severity", e => Bytes(e, x => x["info"]!["installedVulnerabilities"] = new JsonArray(new JsonObject { ["severity"] = 9, ["advisoryUrl"] = "https://a.example.test/1" })));
        yield return Case("no result", e => Bytes(e, x => x["info"] = null));
        yield return Case("not JSON", _ => "{{{"u8.ToArray());
    }

    [TestCaseSource(nameof(Poisons))]
    public async Task PoisonedEntry_IsIgnoredAndLookedUpAgain_AndModulesAnswers200(Func<JsonObject, byte[]> poison)
    {
        await using var writer = await ReplicaAsync();
        await CompleteAnswerAsync(writer);
        var alpha = new InstalledPackage("Fixture.Alpha", "1.0.0");
        var forged = new ModuleInfo(NuGetVersion.Parse("9.9.9"), ["MIT"], ["MIT"]);
        var entry = JsonSerializer.SerializeToNode(
            new SharedLookupEntry(alpha.Name, alpha.Version, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(50), forged), SharedLookupJsonContext.Default.SharedLookupEntry)!.AsObject();
        await writer.Services.GetRequiredService<IDistributedCache>().SetAsync(
            writer.Services.GetRequiredService<SharedLookupCache>().Key(alpha), poison(entry), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(50) });
        _feed.ResetCounters();

        await using var reader = await ReplicaAsync();
        using var response = await reader.GetCompleteModulesAsync();
        var answer = await ModulesHost.ReadJsonAsync(response);

        Assert.Multiple(() =>
        {
            Assert.That(ModulesHost.Module(answer, "Fixture.Alpha").GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"), "the feed's, not the entry's");
            Assert.That(_feed.RequestsTo("/v3/registration/fixture.alpha/"), Is.EqualTo(1), "looked up as if absent");
            Assert.That(RegistryRequests, Is.EqualTo(1), "the other packages' entries are used");
            Assert.That(reader.Logs.Entries.Count(e => e.EventId.Name == "SharedCacheEntryRejected"), Is.EqualTo(1));
            Assert.That(reader.Logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable"), Is.Empty, "a bad entry does not pause sharing");
        });
    }

    [Test]
    public async Task AnEntryOfTheFormerFormat_IsNotRead()
    {
        await using var writer = await ReplicaAsync();
        await CompleteAnswerAsync(writer);
        var key = writer.Services.GetRequiredService<SharedLookupCache>().Key(new InstalledPackage("Fixture.Alpha", "1.0.0"));

        Assert.That(key, Does.StartWith($"anx-monitoring:{SharedLookupCache.FormatVersion}:"));
        Assert.That(key, Does.Not.StartWith("anx-monitoring:v1:").And.Not.StartWith("anx-monitoring:v2:"), "1.1.x wrote v1 entries without their key inside, 1.2.0 v2 entries of another shape");
    }

    [Test]
    public async Task LateReplica_BehindAConnectionThatAnswersItsHandshakeLate_AnswersFromTheSharedCache()
    {
        await using var first = await ReplicaAsync();
        var warm = await CompleteAnswerAsync(first);
        await using var proxy = DelayingTcpProxy.Start(_redis.Port, TimeSpan.FromMilliseconds(1500));
        _feed.ResetCounters();

        // As docs/running-several-instances.md has it: only the address, StackExchange.Redis's defaults otherwise.
        await using var late = await ModulesHost.StartAsync(_feed.ServiceIndexUrl,
            services: s => s.AddStackExchangeRedisCache(o => o.Configuration = $"127.0.0.1:{proxy.Port}"));
        var answer = await CompleteAnswerAsync(late);

        Assert.Multiple(() =>
        {
            Assert.That(proxy.Connections, Is.GreaterThan(0), "through the slow proxy");
            Assert.That(answer, Is.EqualTo(warm));
            Assert.That(RegistryRequests, Is.Zero, "every lookup from the shared cache");
            Assert.That(late.Logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable"), Is.Empty);
        });
    }

    [Test]
    public async Task TwoReplicasStartingOnBusyCoresWithDatabaseChecks_BehindASlowHandshake_TheSecondAsksTheRegistryNothing()
    {
        await using var proxy = DelayingTcpProxy.Start(_redis.Port, TimeSpan.FromMilliseconds(1500));
        Task<MonitoringTestHost> Replica() => ModulesHost.StartAsync(_feed.ServiceIndexUrl, withIdentityDatabase: true,
            services: s => s.AddStackExchangeRedisCache(o => o.Configuration = $"127.0.0.1:{proxy.Port}"));
        string warm;
        string late;
        MonitoringTestHost? second = null;
        using (new BusyCores())
        {
            await using var first = await Replica();
            warm = await CompleteAnswerAsync(first);
            using var up = await first.GetUpAsync();
            Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"), "the database checks run");
            _feed.ResetCounters();
            second = await Replica();
            late = await CompleteAnswerAsync(second);
        }

        await using (second)
        {
            Assert.Multiple(() =>
            {
                Assert.That(late, Is.EqualTo(warm));
                Assert.That(RegistryRequests, Is.Zero, "the second replica takes every lookup from the first");
                Assert.That(second.Logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable"), Is.Empty);
            });
        }
    }

    private static byte[] Bytes(JsonObject entry, Action<JsonObject> change)
    {
        change(entry);
        return Encoding.UTF8.GetBytes(entry.ToJsonString());
    }
}
