using System.Net;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

/// <summary>What happens once the host has started: set-up mistakes named in the log, and the warm-up run of up.</summary>
[TestFixture]
public sealed class StartupTests
{
    private static async Task<IReadOnlyList<CapturingLoggerProvider.LogEntry>> EndpointWarningsAsync(MonitoringTestHost host)
    {
        var check = host.Services.GetServices<IHostedService>().OfType<EndpointMappingWarning>().Single();
        Assert.That(check.Run, Is.Not.Null, "the check is started once the application has started");
        await check.Run!;
        return [.. host.Logs.Entries.Where(e => e.EventId.Name == "NoControllerEndpoints")];
    }

    [Test]
    public async Task Startup_WithoutControllerEndpoints_WarnsOnceThatBothEndpointsAnswer404()
    {
        await using var host = await MonitoringTestHost.StartAsync(mapEndpoints: _ => { });

        var warnings = await EndpointWarningsAsync(host);
        using var up = await host.GetUpAsync();
        using var modules = await host.GetModulesAsync();

        Assert.Multiple(() =>
        {
            Assert.That(warnings, Has.Count.EqualTo(1));
            Assert.That(warnings[0].Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(warnings[0].EventId.Id, Is.EqualTo(2));
            Assert.That(warnings[0].Message, Does.Contain("AddAnxMonitoring was called")
                .And.Contain("/anxapi/v1/up, /anxapi/v1/modules and /anxapi/v1/sbom will answer 404")
                .And.Contain("app.MapControllers()"));
            Assert.That(up.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the warning tells the truth");
            Assert.That(modules.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    public static IEnumerable<TestCaseData> ControllerMappings()
    {
        yield return new TestCaseData((Action<WebApplication>)(app => app.MapControllers())).SetName("MapControllers: no warning");
        yield return new TestCaseData((Action<WebApplication>)(app => app.MapDefaultControllerRoute())).SetName("MapDefaultControllerRoute: no warning");
        yield return new TestCaseData((Action<WebApplication>)(app => app.MapControllerRoute("default", "{controller=Home}/{action=Index}/{id?}")))
            .SetName("MapControllerRoute: no warning");
    }

    [TestCaseSource(nameof(ControllerMappings))]
    public async Task Startup_WithControllersMapped_DoesNotWarnAndServesUp(Action<WebApplication> map)
    {
        await using var host = await MonitoringTestHost.StartAsync(mapEndpoints: map);

        var warnings = await EndpointWarningsAsync(host);
        using var up = await host.GetUpAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(warnings, Is.Empty);
            await ContractAssert.IsPlainTextAsync(up, HttpStatusCode.OK, "OK");
        });
    }

    [Test]
    public async Task RunWithAnxMonitoringCommands_WithoutAddAnxMonitoring_WarnsThatBothEndpointsAnswer404()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddControllers(); // AddAnxMonitoring forgotten
        await using var app = builder.Build();
        app.MapControllers();
        app.Lifetime.ApplicationStarted.Register(app.Lifetime.StopApplication);

        await app.RunWithAnxMonitoringCommandsAsync([]).WaitAsync(TimeSpan.FromSeconds(30));

        var warning = logs.Entries.Single(e => e.EventId.Name == "AnxMonitoringNotAdded");
        Assert.Multiple(() =>
        {
            Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(warning.EventId.Id, Is.EqualTo(3));
            Assert.That(warning.Category, Does.StartWith("Anexia.Monitoring.Mvc"), "as docs/configuration.md promises, so a filter on the library's categories sees it");
            Assert.That(warning.Message, Does.Contain("AddAnxMonitoring(...) was not").And.Contain("will answer 404"));
        });
    }

    [Test]
    public async Task Startup_ByDefault_RunsUpTwiceInTheBackgroundAndTheFirstProbeGetsTheLastRun()
    {
        var runs = new RunCounter();
        await using var host = await MonitoringTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["AnxMonitoring:UpWarmUp"] = null, ["AnxMonitoring:UpCacheLifetime"] = "00:10:00" },
            configureServices: b => b.Services.AddSingleton(runs).AddMonitorUpCheck<CountingCheck>());

        var warmUp = host.Services.GetServices<IHostedService>().OfType<UpWarmUp>().Single();
        Assert.That(warmUp.Run, Is.Not.Null, "the warm-up is on by default");
        await warmUp.Run!;
        using var first = await host.GetUpAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(runs.Count, Is.EqualTo(2), "the checks ran twice, before any probe, and the first probe was answered from the second run");
            await ContractAssert.IsPlainTextAsync(first, HttpStatusCode.OK, "OK");
            var logged = host.Logs.Entries.Single(e => e.EventId.Name == "UpWarmedUp");
            Assert.That(logged.Level, Is.EqualTo(LogLevel.Debug));
            Assert.That(logged.Message, Does.Contain("through the endpoint, then the checks alone: status 200"));
        });
    }

    [Test]
    public async Task Startup_WithWarmUpSwitchedOffByTheFlatKey_RunsNothingUntilTheFirstProbe()
    {
        var runs = new RunCounter();
        await using var host = await MonitoringTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["AnxMonitoring:UpWarmUp"] = null, ["ANX_MONITORING_UP_WARM_UP"] = "false" },
            configureServices: b => b.Services.AddSingleton(runs).AddMonitorUpCheck<CountingCheck>());

        var warmUp = host.Services.GetServices<IHostedService>().OfType<UpWarmUp>().Single();
        var before = runs.Count;
        using var first = await host.GetUpAsync();

        Assert.Multiple(() =>
        {
            Assert.That(warmUp.Run, Is.Null);
            Assert.That(before, Is.Zero);
            Assert.That(runs.Count, Is.EqualTo(1));
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Startup_WarmUpOfAFailingCheck_DoesNotStopTheHostAndTheProbeReportsTheError()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["AnxMonitoring:UpWarmUp"] = "true", ["AnxMonitoring:UpCacheLifetime"] = "0" },
            configureServices: b => b.Services.AddMonitorUpCheck<FailingCheck>());

        await host.Services.GetServices<IHostedService>().OfType<UpWarmUp>().Single().Run!;
        using var up = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(up, HttpStatusCode.InternalServerError, "ERROR: cache unreachable");
    }

    private sealed class RunCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Increment() => Interlocked.Increment(ref _count);
    }

    private sealed class CountingCheck(RunCounter runs) : IMonitorUpCheckHandler
    {
        public Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken)
        {
            runs.Increment();
            return Task.CompletedTask;
        }
    }

    private sealed class FailingCheck : IMonitorUpCheckHandler
    {
        public Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("cache unreachable");
    }
}
