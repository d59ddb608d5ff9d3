using System.Net;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Tests.Up;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

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
    public void Defaults_AreTheTablesDefaults()
    {
        var options = Bind([]);

        Assert.Multiple(() =>
        {
            Assert.That(options.AccessToken, Is.Null);
            Assert.That(options.TestDbConnections, Is.True);
            Assert.That(options.TestQueryUsers, Is.True);
            Assert.That(options.CheckTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.UpCacheLifetime, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(options.PackageSources, Is.Empty);
            Assert.That(options.LookupConcurrency, Is.EqualTo(16));
            Assert.That(options.MaxFeedResponseBytes, Is.EqualTo(16L * 1024 * 1024));
        });
    }

    [TestCase("0", 0)]
    [TestCase("2.5", 2500)]
    [TestCase("00:00:00.250", 250)]
    public void UpCacheLifetime_FlatKey_AcceptsZeroSecondsAndTimeSpans(string value, int expectedMilliseconds) =>
        Assert.That(Bind(new() { ["ANX_MONITORING_UP_CACHE_LIFETIME"] = value }).UpCacheLifetime,
            Is.EqualTo(TimeSpan.FromMilliseconds(expectedMilliseconds)));

    [Test]
    public void UpCacheLifetime_AcceptsZero_AndTheValidatorRejectsNegativeAndInfinite()
    {
        var validator = new AnxMonitoringOptionsValidator();

        Assert.Multiple(() =>
        {
            Assert.That(validator.Validate(null, new AnxMonitoringOptions { UpCacheLifetime = TimeSpan.Zero }).Succeeded, Is.True);
            Assert.That(validator.Validate(null, new AnxMonitoringOptions { UpCacheLifetime = TimeSpan.FromSeconds(-1) }).FailureMessage,
                Does.Contain("AnxMonitoringOptions.UpCacheLifetime must be zero or a positive number of seconds"));
            Assert.That(validator.Validate(null, new AnxMonitoringOptions { UpCacheLifetime = Timeout.InfiniteTimeSpan }).Failed, Is.True);
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
    [TestCase("ANX_MONITORING_LOOKUP_CONCURRENCY", "1000")]
    [TestCase("ANX_MONITORING_MAX_FEED_RESPONSE_BYTES", "10")]
    [TestCase("AnxMonitoring:CheckTimeout", "-5")]
    [TestCase("AnxMonitoring:CheckTimeout", "later")]
    [TestCase("AnxMonitoring:LookupConcurrency", "0")]
    [TestCase("AnxMonitoring:UseNuGetConfig", "perhaps")]
    [TestCase("AnxMonitoring:VulnerabilityWarningSeverity", "severe")]
    public void InvalidValue_InEitherSpelling_FailsAtStartupWithOptionsValidationExceptionNamingTheKey(string key, string value)
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() =>
            MonitoringTestHost.StartAsync(new Dictionary<string, string?> { [key] = value }, withIdentityDatabase: false));

        Assert.Multiple(() =>
        {
            Assert.That(error!.Message, Does.Contain("The setting " + key + " must be"));
            Assert.That(error.Failures, Has.Exactly(1).Items, "one message per wrong setting");
        });
    }

    [Test]
    public void InvalidSeverity_SaysWhichValuesAreAccepted()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY"] = "severe" }, withIdentityDatabase: false));

        Assert.That(error!.Failures, Is.EqualTo(new[]
        {
            "The setting ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY must be low, moderate, high, critical or off; 'severe' cannot be read as such.",
        }));
    }

    [Test]
    public void ConfiguredValueChangedInCode_IsNamedByTheProperty_AndAddingTwiceReportsItOnce()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:CheckTimeout"] = "5", ["ANX_MONITORING_LOOKUP_CONCURRENCY"] = "0" },
            withIdentityDatabase: false,
            addMonitoring: b =>
            {
                b.Services.AddControllers().AddAnxMonitoring(b.Configuration);
                b.Services.AddAnxMonitoring(b.Configuration);
                b.Services.Configure<AnxMonitoringOptions>(o => o.CheckTimeout = TimeSpan.Zero);
            }));

        Assert.That(error!.Failures, Is.EquivalentTo(new[]
        {
            "The setting AnxMonitoringOptions.CheckTimeout must be a positive number of seconds (at most about 24 days), or a time span such as 00:00:05; 00:00:00 is not.",
            "The setting ANX_MONITORING_LOOKUP_CONCURRENCY must be a whole number from 1 to 256; 0 is not.",
        }));
    }

    [Test]
    public void InvalidValues_SetInCode_FailAtStartupNamingTheProperties()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => MonitoringTestHost.StartAsync(
            withIdentityDatabase: false,
            addMonitoring: b => b.Services.AddControllers().AddAnxMonitoring(o =>
            {
                o.CheckTimeout = TimeSpan.Zero;
                o.LookupConcurrency = 0;
            })));

        Assert.That(error!.Failures, Is.EquivalentTo(new[]
        {
            "The setting AnxMonitoringOptions.CheckTimeout must be a positive number of seconds (at most about 24 days), or a time span such as 00:00:05; 00:00:00 is not.",
            "The setting AnxMonitoringOptions.LookupConcurrency must be a whole number from 1 to 256; 0 is not.",
        }));
    }

    [TestCase("true", true)]
    [TestCase(" YES ", true)]
    [TestCase("on", true)]
    [TestCase("1", true)]
    [TestCase("False", false)]
    [TestCase("no", false)]
    [TestCase("0", false)]
    public void ParseFlag_ReadsDjangoAndEnvironmentSpellings(string value, bool expected) =>
        Assert.That(AnxMonitoringConfiguration.ParseFlag(value), Is.EqualTo(expected));

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
    public async Task AddAnxMonitoringWithADelegate_ReadsTheTokenFromTheFlatKey_AndTheDelegateRunsAfterTheConfiguration()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["AnxMonitoring:AccessToken"] = null,
                ["ANX_MONITORING_ACCESS_TOKEN"] = "flat-token",
                ["AnxMonitoring:CheckTimeout"] = "7",
            },
            withIdentityDatabase: false,
            addMonitoring: b => b.Services.AddControllers().AddAnxMonitoring(o => o.CheckTimeout = TimeSpan.FromSeconds(3)));

        using var response = await host.GetUpAsync("flat-token");
        var options = host.Services.GetRequiredService<IOptions<AnxMonitoringOptions>>().Value;

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        Assert.That(options.CheckTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)), "the delegate's value, set after the section's");
    }

    [Test]
    public void InvalidSettings_OneLineEach_EchoTheValueAsWritten()
    {
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:CheckTimeout"] = "-5", ["ANX_MONITORING_LOOKUP_CONCURRENCY"] = " 0 " },
            withIdentityDatabase: false));

        Assert.That(error!.Failures, Is.EquivalentTo(new[]
        {
            "The setting AnxMonitoring:CheckTimeout must be a positive number of seconds (at most about 24 days), or a time span such as 00:00:05; -5 is not.",
            "The setting ANX_MONITORING_LOOKUP_CONCURRENCY must be a whole number from 1 to 256; 0 is not.",
        }));
    }

    [Test]
    public async Task AConfiguredValueTheDelegateReplaces_IsNeitherUsedNorReported()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:CheckTimeout"] = "soon", ["ANX_MONITORING_LOOKUP_CONCURRENCY"] = "0" },
            withIdentityDatabase: false,
            addMonitoring: b => b.Services.AddControllers().AddAnxMonitoring(o =>
            {
                o.CheckTimeout = TimeSpan.FromSeconds(3);
                o.LookupConcurrency = 4;
            }));

        var options = host.Services.GetRequiredService<IOptions<AnxMonitoringOptions>>().Value;

        Assert.That((options.CheckTimeout, options.LookupConcurrency), Is.EqualTo((TimeSpan.FromSeconds(3), 4)));
    }

    [TestCase("UseNuGetConfig", "ANX_MONITORING_USE_NUGET_CONFIG")]
    [TestCase("TestDbConnections", "ANX_MONITORING_TEST_DB_CONNECTIONS")]
    [TestCase("ModulesFailureCacheLifetime", "ANX_MONITORING_MODULES_FAILURE_CACHE_LIFETIME")]
    public void FlatKey_IsDerivedFromTheProperty(string setting, string flatKey) =>
        Assert.That(AnxMonitoringConfiguration.FlatKeyOf(setting), Is.EqualTo(flatKey));

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
