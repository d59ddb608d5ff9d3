using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests;

/// <summary>
/// A cold start's first steps: the registry's sources made ready before the lookups queue up (the service index read
/// once, shared by the lookups, a failure left to the next lookup), and the code that reads the answers compiled over
/// samples of their shapes while the service index is on its way.
/// </summary>
[TestFixture]
public sealed class ModulesColdStartTests
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
        return new PackageRegistry(Mock.Of<IOptionsMonitor<AnxMonitoringOptions>>(m => m.CurrentValue == options), NullLogger<PackageRegistry>.Instance, localPackagesFolder: null);
    }

    private int ServiceIndexRequests => _feed.RequestsTo("/v3/index.json");

    [Test]
    public async Task Prepare_ReadsTheServiceIndexBeforeAnyLookup_AndTheLookupsShareThatRead()
    {
        var registry = Registry();

        registry.Prepare();
        registry.Prepare();
        await ModulesHost.WaitUntilAsync(() => ServiceIndexRequests == 1, () => $"{ServiceIndexRequests} service index requests");
        var registrationsBeforeLookups = _feed.RequestsTo("/v3/registration/");
        var alpha = await registry.LookupAsync("Fixture.Alpha", "1.0.0", CancellationToken.None);
        var paged = await registry.LookupAsync("Fixture.Paged", "1.0.0", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(registrationsBeforeLookups, Is.Zero, "preparing reads the service index only");
            Assert.That(ServiceIndexRequests, Is.EqualTo(1), "one service index read, shared by the lookups");
            Assert.That(alpha.NewestVersion, Is.EqualTo(NuGetVersion.Parse("1.1.0")));
            Assert.That(paged.NewestVersion, Is.EqualTo(NuGetVersion.Parse("3.0.0")));
        });
    }

    [Test]
    public async Task Prepare_WhenTheServiceIndexFails_TheNextLookupReportsTheFailureAndOneAfterTheFeedRecoversSucceeds()
    {
        var registry = Registry();
        _feed.Fault = FeedFault.Status500;

        registry.Prepare();
        await ModulesHost.WaitUntilAsync(() => ServiceIndexRequests >= 1, () => "the prepared service index read never went out");
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
