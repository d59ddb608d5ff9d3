using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

/// <summary>The metrics and spans of the library, as an OpenTelemetry SDK would collect them.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TelemetryTests
{
    private static readonly Dictionary<string, string?> EveryProbeRuns = new()
    {
        ["AnxMonitoring:CheckTimeout"] = "00:00:00.5",
        ["AnxMonitoring:UpCacheLifetime"] = "00:00:10",
    };

    [Test]
    public async Task Up_RecordsEachChecksDurationAndOutcome_TheRunsAndReuses_AndASpanPerRunWithAChildPerCheck()
    {
        using var capture = new TelemetryCapture();
        await using var host = await MonitoringTestHost.StartAsync(EveryProbeRuns);
        capture.OnlyFrom(host.Services);
        host.Events.Subscribe<MonitorUpCheck>("fine", (_, _) => Task.CompletedTask);
        host.Events.Subscribe<MonitorUpCheck>("slowish", (_, _) => throw new MonitorUpWarningException("queue long"));
        host.Events.Subscribe<MonitorUpCheck>("broken", (_, _) => throw new InvalidOperationException("login to https://admin:TelemetrySecret@api.example failed"));
        host.Events.Subscribe<MonitorUpCheck>("hanging", (_, ct) => Task.Delay(Timeout.Infinite, ct));

        using var first = await host.GetUpAsync();
        using var second = await host.GetUpAsync();

        var checks = capture.Of("anxmonitoring.up.check.duration").ToDictionary(m => (string)m.Tags["anxmonitoring.check.name"]!, m => m);
        var runs = capture.Of("anxmonitoring.up.runs").Select(m => (string)m.Tags["anxmonitoring.up.result"]!).ToList();
        var run = capture.Spans.Single(s => s.OperationName == "anxmonitoring.up");
        var children = capture.Spans.Where(s => s.OperationName == "anxmonitoring.up.check" && s.ParentSpanId == run.SpanId)
            .ToDictionary(s => (string)s.GetTagItem("anxmonitoring.check.name")!);

        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(checks["fine"].Tags["anxmonitoring.check.outcome"], Is.EqualTo("ok"));
            Assert.That(checks["slowish"].Tags["anxmonitoring.check.outcome"], Is.EqualTo("warning"));
            Assert.That(checks["broken"].Tags["anxmonitoring.check.outcome"], Is.EqualTo("error"));
            Assert.That(checks["hanging"].Tags["anxmonitoring.check.outcome"], Is.EqualTo("timeout"));
            Assert.That(checks["hanging"].Value, Is.GreaterThanOrEqualTo(0.4), "seconds");
            Assert.That(runs, Is.EqualTo(new[] { "run", "reused" }));
            Assert.That(run.GetTagItem("http.response.status_code"), Is.EqualTo(500));
            Assert.That(children.Keys, Is.SupersetOf(new[] { "fine", "slowish", "broken", "hanging" }));
            Assert.That(children["hanging"].GetTagItem("anxmonitoring.check.timed_out"), Is.EqualTo(true));
            var exception = children["broken"].Events.Single(e => e.Name == "exception");
            Assert.That(exception.Tags.Single(t => t.Key == "exception.message").Value,
                Is.EqualTo("login to https://***@api.example failed"), "masked as the up lines are");
        });
    }

    [Test]
    public async Task RefusedTokens_AreCountedByReason()
    {
        using var capture = new TelemetryCapture();
        await using var host = await MonitoringTestHost.StartAsync();
        capture.OnlyFrom(host.Services);

        (await host.GetUpAsync(token: null)).Dispose();
        (await host.GetUpAsync(token: "wrong")).Dispose();
        (await host.GetUpAsync()).Dispose();

        Assert.That(capture.Of("anxmonitoring.token.rejections").Select(m => m.Tags["anxmonitoring.token.reason"]),
            Is.EqualTo(new object[] { "missing", "wrong" }));
    }

    [Test]
    public async Task Modules_CountsLookupsBySourceAndOutcome_CacheHitsByLevel_AndGaugesOutdatedAndVulnerablePackages()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(
        [
            new FeedPackage("Fixture.Alpha", [new("1.0.0", LicenseExpression: "MIT", Vulnerabilities: [new(2, "https://advisories.example/1")]), new("1.1.0", LicenseExpression: "MIT")]),
            new FeedPackage("Fixture.Current", [new("1.0.0", LicenseExpression: "MIT")]),
        ]);
        var shared = new SharedTestCache();
        Mvc.Modules.InstalledPackage[] installed = [new("Fixture.Alpha", "1.0.0"), new("Fixture.Current", "1.0.0"), new("Private.Package", "1.0.0")];
        using var capture = new TelemetryCapture();
        await using var first = await ModulesHost.StartAsync(feed.ServiceIndexUrl, installed: installed, services: s => s.AddSingleton<IDistributedCache>(shared));
        capture.OnlyFrom(first.Services);
        await ModulesHost.ReadJsonAsync(await first.GetModulesAsync());
        await first.Services.GetRequiredService<Mvc.Modules.ModuleLookups>().WhenIdleAsync();
        await ModulesHost.ReadJsonAsync(await first.GetModulesAsync());
        capture.ObserveGauges();

        var lookups = capture.Of("anxmonitoring.registry.lookups").ToList();
        var durations = capture.Of("anxmonitoring.registry.lookup.duration").ToList();
        var outdated = capture.Of("anxmonitoring.packages.outdated").Last();
        var vulnerable = capture.Of("anxmonitoring.packages.vulnerable").ToDictionary(m => (string)m.Tags["severity"]!, m => m.Value);

        await using var second = await ModulesHost.StartAsync(feed.ServiceIndexUrl, installed: installed, services: s => s.AddSingleton<IDistributedCache>(shared));
        capture.OnlyFrom(second.Services);
        await ModulesHost.ReadJsonAsync(await second.GetModulesAsync());
        await second.Services.GetRequiredService<Mvc.Modules.ModuleLookups>().WhenIdleAsync();
        var sharedHits = capture.Of("anxmonitoring.modules.cache.hits").Where(m => Equals(m.Tags["anxmonitoring.cache.level"], "shared")).Sum(m => m.Value);

        Assert.Multiple(() =>
        {
            Assert.That(lookups.Where(m => Equals(m.Tags["anxmonitoring.registry.outcome"], "found")).Count(), Is.EqualTo(2));
            Assert.That(lookups.Where(m => Equals(m.Tags["anxmonitoring.registry.outcome"], "not_found")).Count(), Is.EqualTo(2), "Private.Package and the framework");
            Assert.That(lookups.Select(m => m.Tags["anxmonitoring.registry.source"]).Distinct(), Is.EqualTo(new[] { "127.0.0.1" }), "the host, never credentials");
            Assert.That(durations, Has.Count.EqualTo(lookups.Count), "a duration per lookup");
            Assert.That(outdated.Value, Is.EqualTo(1), "Fixture.Alpha 1.0.0 has 1.1.0");
            Assert.That(vulnerable["high"], Is.EqualTo(1));
            Assert.That(vulnerable["critical"], Is.Zero);
            Assert.That(sharedHits, Is.EqualTo(installed.Length + 1), "the second instance took every package from the shared cache");
        });
        Assert.That(capture.Spans.Count(s => s.OperationName == "anxmonitoring.registry.lookup"), Is.GreaterThanOrEqualTo(installed.Length + 1));
    }

    /// <summary>A shared cache for two hosts in one process: the in-memory one, under a type of its own (which does count as shared).</summary>
    private sealed class SharedTestCache() : IDistributedCache
    {
        private readonly MemoryDistributedCache _inner = new(Options.Create(new MemoryDistributedCacheOptions()));

        public byte[]? Get(string key) => _inner.Get(key);

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => _inner.GetAsync(key, token);

        public void Refresh(string key) => _inner.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => _inner.RefreshAsync(key, token);

        public void Remove(string key) => _inner.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => _inner.RemoveAsync(key, token);

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _inner.Set(key, value, options);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            _inner.SetAsync(key, value, options, token);
    }
}
