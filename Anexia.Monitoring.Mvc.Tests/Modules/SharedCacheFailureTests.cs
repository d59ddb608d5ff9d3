using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Moq;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>How the shared cache takes a failing call: one failure is a miss, three in a row pause sharing, with one warning.</summary>
[TestFixture]
public sealed class SharedCacheFailureTests
{
    private static readonly InstalledPackage Alpha = new("Fixture.Alpha", "1.0.0");

    private readonly Mock<IDistributedCache> _cache = new();
    private readonly CapturingLoggerProvider _logs = new();
    private SharedLookupCache _shared = null!;

    [SetUp]
    public void CreateCache()
    {
        var services = new ServiceCollection().AddSingleton(_cache.Object).BuildServiceProvider();
        var options = new AnxMonitoringOptions { PackageSources = { "https://feed.example.test/v3/index.json" } };
        _shared = new SharedLookupCache(services, Options.Create(options), TimeProvider.System, new Logger<SharedLookupCache>(new LoggerFactory([_logs])));
    }

    [TearDown]
    public void DisposeLogs() => _logs.Dispose();

    [Test]
    public async Task OneCallThatTimesOut_IsAMiss_AndTheNextCallIsMade()
    {
        var entry = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new SharedLookupEntry(Alpha.Name, Alpha.Version, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(30), new ModuleInfo(NuGetVersion.Parse("1.1.0"), ["MIT"], ["MIT"])),
            SharedLookupJsonContext.Default.SharedLookupEntry);
        var calls = 0;
        _cache.Setup(c => c.GetAsync(It.Is<string>(k => k.EndsWith("fixture.alpha/1.0.0", StringComparison.Ordinal)), It.IsAny<CancellationToken>()))
            .Returns(() => ++calls == 1 ? new TaskCompletionSource<byte[]?>().Task : Task.FromResult<byte[]?>(entry));

        var timedOut = await _shared.GetAsync(Alpha, CancellationToken.None);
        var next = await _shared.GetAsync(Alpha, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(timedOut, Is.Null);
            Assert.That(next?.Info.NewestVersion, Is.EqualTo(NuGetVersion.Parse("1.1.0")), "not paused by one timeout");
            Assert.That(_logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable"), Is.Empty);
        });
    }

    [Test]
    public async Task ThreeFailedCallsInARow_PauseSharing_WithOneWarning()
    {
        var calls = 0;
        _cache.Setup(c => c.GetAsync(It.Is<string>(k => !k.EndsWith(":connect", StringComparison.Ordinal)), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                calls++;
                return Task.FromException<byte[]?>(new InvalidOperationException("No connection is active for password=CacheSecret"));
            });

        for (var i = 0; i < 5; i++)
        {
            Assert.That(await _shared.GetAsync(Alpha, CancellationToken.None), Is.Null);
        }

        var warnings = _logs.Entries.Where(e => e.EventId.Name == "SharedCacheUnavailable").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(SharedLookupCache.FailuresBeforePause), "paused after the third; the next two are not made");
            Assert.That(warnings, Has.Count.EqualTo(1));
            Assert.That(warnings[0].Message, Does.Contain("password=***").And.Not.Contain("CacheSecret"));
        });
    }
}
