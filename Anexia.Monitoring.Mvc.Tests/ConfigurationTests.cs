using System.Net;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Tests;

[TestFixture]
public sealed class ConfigurationTests
{
    private static AnxMonitoringOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var provider = new ServiceCollection().AddLogging().AddAnxMonitoring(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AnxMonitoringOptions>>().Value;
    }

    [Test]
    public void Defaults_AreTheDocumentedConstants()
    {
        var options = Bind([]);

        Assert.Multiple(() =>
        {
            Assert.That(options.AccessToken, Is.Null);
            Assert.That(options.TestDbConnections, Is.EqualTo(AnxMonitoringOptions.DefaultTestDbConnections).And.True);
            Assert.That(options.TestQueryUsers, Is.EqualTo(AnxMonitoringOptions.DefaultTestQueryUsers).And.True);
            Assert.That(options.CheckTimeout, Is.EqualTo(TimeSpan.FromSeconds(AnxMonitoringOptions.DefaultCheckTimeoutSeconds)));
            Assert.That(options.UpCacheLifetime, Is.EqualTo(TimeSpan.FromMilliseconds(AnxMonitoringOptions.DefaultUpCacheLifetimeMilliseconds)));
        });
    }

    [TestCase("0", 0)]
    [TestCase("2.5", 2500)]
    [TestCase("00:00:00.250", 250)]
    public void UpCacheLifetime_FlatKey_AcceptsZeroSecondsAndTimeSpans(string value, int expectedMilliseconds) =>
        Assert.That(Bind(new() { ["ANX_MONITORING_UP_CACHE_LIFETIME"] = value }).UpCacheLifetime,
            Is.EqualTo(TimeSpan.FromMilliseconds(expectedMilliseconds)));

    [Test]
    public void UpCacheLifetime_RejectsNegativeAndInfinite()
    {
        var options = new AnxMonitoringOptions { UpCacheLifetime = TimeSpan.Zero };

        Assert.Multiple(() =>
        {
            Assert.That(options.UpCacheLifetime, Is.EqualTo(TimeSpan.Zero));
            Assert.Throws<ArgumentOutOfRangeException>(() => options.UpCacheLifetime = TimeSpan.FromSeconds(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => options.UpCacheLifetime = Timeout.InfiniteTimeSpan);
        });
    }

    [Test]
    public void Section_BindsEverySetting()
    {
        var options = Bind(new()
        {
            ["AnxMonitoring:AccessToken"] = "s",
            ["AnxMonitoring:TestDbConnections"] = "false",
            ["AnxMonitoring:TestQueryUsers"] = "false",
            ["AnxMonitoring:CheckTimeout"] = "00:00:03",
        });

        Assert.That((options.AccessToken, options.TestDbConnections, options.TestQueryUsers, options.CheckTimeout),
            Is.EqualTo(("s", false, false, TimeSpan.FromSeconds(3))));
    }

    [Test]
    public void FlatKeys_BindAndWinOverTheSection()
    {
        var options = Bind(new()
        {
            ["AnxMonitoring:AccessToken"] = "from-section",
            ["ANX_MONITORING_ACCESS_TOKEN"] = "from-flat-key",
            ["ANX_MONITORING_TEST_DB_CONNECTIONS"] = "False",
            ["ANX_MONITORING_TEST_QUERY_USERS"] = "0",
            ["ANX_MONITORING_CHECK_TIMEOUT"] = "2.5",
        });

        Assert.That((options.AccessToken, options.TestDbConnections, options.TestQueryUsers, options.CheckTimeout),
            Is.EqualTo(("from-flat-key", false, false, TimeSpan.FromSeconds(2.5))));
    }

    [Test]
    public async Task FlatKey_FromAnEnvironmentVariable_WorksUnchanged()
    {
        const string variable = "ANX_MONITORING_ACCESS_TOKEN";
        Environment.SetEnvironmentVariable(variable, "env-token");
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
            builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration);
            await using var app = builder.Build();

            Assert.That(app.Services.GetRequiredService<IOptions<AnxMonitoringOptions>>().Value.AccessToken, Is.EqualTo("env-token"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [TestCase("ANX_MONITORING_TEST_DB_CONNECTIONS", "maybe")]
    [TestCase("ANX_MONITORING_TEST_QUERY_USERS", "")]
    [TestCase("ANX_MONITORING_CHECK_TIMEOUT", "-1")]
    [TestCase("ANX_MONITORING_CHECK_TIMEOUT", "soon")]
    [TestCase("ANX_MONITORING_CHECK_TIMEOUT", "0")]
    [TestCase("ANX_MONITORING_UP_CACHE_LIFETIME", "-0.5")]
    public void InvalidFlatKey_FailsAtStartupNamingTheKey(string key, string value)
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() =>
            MonitoringTestHost.StartAsync(new Dictionary<string, string?> { [key] = value }, withIdentityDatabase: false));

        Assert.That(error!.Message, Does.Contain(key));
    }

    [Test]
    public void CheckTimeout_RejectsNonsense()
    {
        var options = new AnxMonitoringOptions();

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => options.CheckTimeout = TimeSpan.Zero);
            Assert.Throws<ArgumentOutOfRangeException>(() => options.CheckTimeout = TimeSpan.FromSeconds(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => options.CheckTimeout = Timeout.InfiniteTimeSpan);
        });
    }

    [TestCase("true", true)]
    [TestCase(" YES ", true)]
    [TestCase("on", true)]
    [TestCase("1", true)]
    [TestCase("False", false)]
    [TestCase("no", false)]
    [TestCase("0", false)]
    public void ParseFlag_ReadsDjangoAndEnvironmentSpellings(string value, bool expected) =>
        Assert.That(ConfigureAnxMonitoringOptions.ParseFlag("K", value), Is.EqualTo(expected));

    [Test]
    public void AddAnxMonitoring_GuardsItsArguments()
    {
        var services = new ServiceCollection();

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentNullException>(() => services.AddAnxMonitoring((IConfiguration)null!));
            Assert.Throws<ArgumentNullException>(() => services.AddAnxMonitoring((Action<AnxMonitoringOptions>)null!));
            Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddMonitorUpCheck<UpEndpointTests.WarningHandler>());
        });
    }

    [Test]
    public async Task AddAnxMonitoring_CalledTwiceAndOnTheServiceCollectionFirst_ServesOneEndpoint()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            withIdentityDatabase: false,
            addMonitoring: b =>
            {
                b.Services.AddAnxMonitoring(o => o.AccessToken = "code-token");
                b.Services.AddControllers().AddAnxMonitoring(o => o.AccessToken = "code-token");
            });

        using var response = await host.GetUpAsync("code-token");

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        Assert.That(host.Services.GetServices<IHostedService>().Count(s => s.GetType().Name == "AnxMonitoringStartupWarning"), Is.EqualTo(1));
    }

    [Test]
    public async Task Host_ThatOnlyReferencesTheLibrary_HasNoMonitoringEndpoints()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            withIdentityDatabase: false,
            addMonitoring: b => b.Services.AddControllers());

        using var response = await host.GetUpAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
