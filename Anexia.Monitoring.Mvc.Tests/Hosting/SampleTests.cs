using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

/// <summary>The sample host exactly as the README's first command starts it, on its own SQLite file.</summary>
[TestFixture]
public sealed class SampleTests
{
    private const string SampleToken = "sample-token-change-me";

    private string _databasePath = null!;
    private WebApplicationFactory<Program> _factory = null!;

    [OneTimeSetUp]
    public void StartSample()
    {
        _databasePath = Path.Combine(Path.GetTempPath(), $"anx-sample-{Guid.NewGuid():N}.db");
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:Default", $"Data Source={_databasePath};Pooling=False");
            b.UseSetting("AnxMonitoring:PackageSources:0", MonitoringTestHost.UnreachableSource);
            b.UseSetting("AnxMonitoring:RuntimeReleasesIndex", string.Empty);
        });
    }

    [OneTimeTearDown]
    public async Task StopSample()
    {
        await _factory.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(_databasePath);
    }

    [Test]
    public async Task Up_WithTheTokenFromAppSettings_ReturnsOk()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync($"/anxapi/v1/up/?access_token={SampleToken}");

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        Assert.That(File.Exists(_databasePath), Is.True, "the sample creates its database on start");
    }

    [Test]
    public async Task Up_WithoutToken_Returns401()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync("/anxapi/v1/up");

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.Unauthorized, "401 Unauthorized");
    }

    [Test]
    public async Task Health_ReportsTheLibrarysDatabaseChecksAndTheSamplesOwnCheck_AndUpRunsTheHealthCheck()
    {
        using var client = _factory.CreateClient();

        using var health = await client.GetAsync("/health");
        var subscriptions = _factory.Services.GetRequiredService<Anexia.Monitoring.Mvc.Up.UpCheckRunner>().CurrentChecks().Select(s => s.Name);

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
        Assert.That(subscriptions, Does.Contain("memory"), "the sample's health check runs inside up");
        Assert.That(subscriptions, Does.Not.Contain("anx-monitoring"), "the library's own health check does not run twice");
    }

    [Test]
    public async Task Up_WithTheTokenAsBearerHeader_ReturnsOkAndNoStore()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/anxapi/v1/up");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SampleToken);

        using var response = await client.SendAsync(request);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
    }
}
