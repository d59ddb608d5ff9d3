using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>A feed's service index is read once and shared by the lookups; a failed read is left to the next lookup.</summary>
[TestFixture]
public sealed class ServiceIndexTests
{
    private LocalNuGetFeed _feed = null!;

    [SetUp]
    public async Task StartFeed() => _feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);

    [TearDown]
    public async Task StopFeed() => await _feed.DisposeAsync();

    private PackageRegistry Registry()
    {
        var options = new AnxMonitoringOptions { LookupTimeout = TimeSpan.FromSeconds(10) };
        options.PackageSources.Add(_feed.ServiceIndexUrl);
        return new PackageRegistry(Options.Create(options), NullLogger<PackageRegistry>.Instance, localPackagesFolder: null);
    }

    private int ServiceIndexRequests => _feed.RequestsTo("/v3/index.json");

    [Test]
    public async Task ConcurrentLookups_ShareOneServiceIndexRead()
    {
        var registry = Registry();

        var lookups = await Task.WhenAll(
            registry.LookupAsync("Fixture.Alpha", "1.0.0", CancellationToken.None),
            registry.LookupAsync("Fixture.Paged", "1.0.0", CancellationToken.None));
        var (alpha, paged) = (lookups[0], lookups[1]);

        Assert.Multiple(() =>
        {
            Assert.That(ServiceIndexRequests, Is.EqualTo(1), "one service index read, shared by the lookups");
            Assert.That(alpha.NewestVersion, Is.EqualTo(NuGetVersion.Parse("1.1.0")));
            Assert.That(paged.NewestVersion, Is.EqualTo(NuGetVersion.Parse("3.0.0")));
        });
    }

    [Test]
    public async Task WhenTheServiceIndexFails_TheLookupReportsTheFailure_AndOneAfterTheFeedRecoversSucceeds()
    {
        var registry = Registry();
        _feed.Fault = FeedFault.Status500;

        var failed = Assert.CatchAsync<HttpRequestException>(() => registry.LookupAsync("Fixture.Alpha", "1.0.0", CancellationToken.None));
        _feed.Fault = FeedFault.None;
        var recovered = await registry.LookupAsync("Fixture.Alpha", "1.0.0", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(failed!.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.InternalServerError), "the lookup reports the failed service index instead of hanging or answering nothing");
            Assert.That(recovered.NewestVersion, Is.EqualTo(NuGetVersion.Parse("1.1.0")), "a failed read is not kept: the next lookup reads the service index again");
        });
    }
}
