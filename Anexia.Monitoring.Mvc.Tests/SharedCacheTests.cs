using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Anexia.Monitoring.Mvc.Tests;

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
}
