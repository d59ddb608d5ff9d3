using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anexia.Monitoring.Mvc.Tests.Up;

/// <summary>The host's ASP.NET Core health checks inside <c>up</c>, and this library's checks inside the host's health endpoints.</summary>
[TestFixture]
public sealed class HealthCheckBridgeTests
{
    [Test]
    public async Task Up_RunsTheHostsHealthChecks_DegradedAsWarningUnhealthyAsErrorHealthySilent()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b => b.Services.AddHealthChecks()
            .AddCheck("queue", () => HealthCheckResult.Unhealthy("the queue is down"))
            .AddCheck("fine", () => HealthCheckResult.Healthy("all good"))
            .AddCheck("cache", () => HealthCheckResult.Degraded("the cache is slow")));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.InternalServerError,
            "WARNING: cache: the cache is slow\nERROR: queue: the queue is down");
    }

    [Test]
    public async Task Up_WithOnlyHealthyHealthChecks_AnswersOk()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b => b.Services.AddHealthChecks()
            .AddCheck("fine", () => HealthCheckResult.Healthy()));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
    }

    [Test]
    public async Task Up_HealthCheckThrowingOrWithoutDescription_WritesTheMessageOnOneLineAndNoStackTrace()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b => b.Services.AddHealthChecks()
            .AddCheck<ThrowingHealthCheck>("thrower")
            .AddCheck("silent", () => HealthCheckResult.Degraded())
            .AddCheck("multi-line", () => HealthCheckResult.Unhealthy("first\nOK\r\nERROR: forged")));

        using var response = await host.GetUpAsync();
        var body = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(body.Split('\n'), Is.EqualTo(new[]
        {
            "WARNING: silent: Degraded",
            "ERROR: thrower: the broker refused the connection",
            "ERROR: multi-line: first OK  ERROR: forged",
        }));
        Assert.That(body, Does.Not.Contain(" at ").And.Not.Contain(nameof(ThrowingHealthCheck)));
    }

    [Test]
    public async Task Up_HealthCheckThatHangs_IsReportedAsTimedOutWithinTheCheckTimeout()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:CheckTimeout"] = "00:00:01" },
            configureServices: b => b.Services.AddHealthChecks().AddCheck<HangingHealthCheck>("hanging"));

        var started = DateTime.UtcNow;
        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.InternalServerError, "ERROR: hanging timed out");
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task Up_LeavesOutTaggedChecksAndChecksNamedInTheSetting()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:ExcludeHealthChecks:0"] = "NOISY" },
            configureServices: b => b.Services.AddHealthChecks()
                .AddCheck("tagged", () => HealthCheckResult.Unhealthy("tagged"), tags: [AnxMonitoringOptions.HealthCheckExcludeTag])
                .AddCheck("noisy", () => HealthCheckResult.Unhealthy("noisy"))
                .AddCheck("kept", () => HealthCheckResult.Degraded("kept")));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "WARNING: kept: kept");
    }

    [TestCase("AnxMonitoring:IncludeHealthChecks", "false")]
    [TestCase("ANX_MONITORING_INCLUDE_HEALTH_CHECKS", "off")]
    [TestCase("ANX_MONITORING_EXCLUDE_HEALTH_CHECKS", "other; broken")]
    public async Task Up_BridgeSwitchedOffOrCheckExcluded_RunsNoHealthCheck(string key, string value)
    {
        var runs = 0;
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { [key] = value },
            configureServices: b => b.Services.AddHealthChecks().AddCheck("broken", () =>
            {
                Interlocked.Increment(ref runs);
                return HealthCheckResult.Unhealthy("broken");
            }));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        Assert.That(runs, Is.Zero);
    }

    [Test]
    public async Task Up_HealthCheckLines_FollowTheBuiltInChecksAndPrecedeTheHostsOwnSubscribers()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b =>
        {
            b.Services.AddDbContext<PlainContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly"));
            b.Services.AddHealthChecks().AddCheck("health", () => HealthCheckResult.Unhealthy("from the health check"));
        });
        host.Events.Subscribe<MonitorUpCheck>("late", (_, _) => throw new InvalidOperationException("from a subscriber"));

        using var response = await host.GetUpAsync();
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');

        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.StartWith("ERROR: PlainContext database connection failed: "));
        Assert.That(lines[1], Is.EqualTo("ERROR: health: from the health check"));
        Assert.That(lines[2], Is.EqualTo("ERROR: from a subscriber"));
    }

    [Test]
    public async Task AddAnxMonitoringChecks_ReportsHealthyOnTheHostsHealthEndpoint_AndUpDoesNotRunItTwice()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b => b.Services.AddHealthChecks().AddAnxMonitoringChecks(),
            configureApp: app => app.MapHealthChecks("/health"));

        using var health = await host.Client.GetAsync("/health");
        using var up = await host.GetUpAsync();

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
        await ContractAssert.IsPlainTextAsync(up, HttpStatusCode.OK, "OK");
    }

    [Test]
    public async Task AddAnxMonitoringChecks_WithABrokenDatabase_IsUnhealthyWithOneEntryPerProblem_AndUpReportsItOnce()
    {
        HealthReport? report = null;
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b =>
            {
                b.Services.AddDbContext<PlainContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly"));
                b.Services.AddHealthChecks().AddAnxMonitoringChecks("databases", tags: ["ready"]);
            },
            configureApp: app => app.MapHealthChecks("/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
            {
                Predicate = r => r.Tags.Contains("ready"),
                ResponseWriter = (context, r) =>
                {
                    report = r;
                    return context.Response.WriteAsync(r.Status.ToString());
                },
            }));

        using var ready = await host.Client.GetAsync("/ready");
        using var up = await host.GetUpAsync();
        var upBody = await up.Content.ReadAsStringAsync();

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var entry = report!.Entries["databases"];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(entry.Description, Does.StartWith("ERROR: PlainContext database connection failed: "));
        Assert.That(entry.Data.Keys, Is.EquivalentTo(new[] { "PlainContext database connection" }));
        Assert.That(upBody.Split('\n'), Has.Length.EqualTo(1), "the database problem once, not again through the bridge");
    }

    [Test]
    public async Task AddAnxMonitoringChecks_WithoutAddAnxMonitoring_StillWorksWithDefaultSettings()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            addMonitoring: b => b.Services.AddControllers(),
            configureServices: b => b.Services.AddHealthChecks().AddAnxMonitoringChecks(failureStatus: HealthStatus.Degraded),
            configureApp: app => app.MapHealthChecks("/health"));

        using var health = await host.Client.GetAsync("/health");

        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
    }

    private sealed class ThrowingHealthCheck : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the broker refused the connection");
    }

    private sealed class HangingHealthCheck : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
            return HealthCheckResult.Healthy();
        }
    }
}
