using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Up;

[TestFixture]
public sealed class UpEndpointTests
{
    private static readonly Dictionary<string, string?> ShortTimeout = new() { ["AnxMonitoring:CheckTimeout"] = "00:00:00.500" };

    private static async Task<(HttpStatusCode Status, string Body)> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Up_WithIdentityDatabase_Returns200OkWithContractHeaders(bool trailingSlash)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await host.GetUpAsync(trailingSlash: trailingSlash);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Up_WithoutAnyDbContext_ReturnsOk()
    {
        await using var host = await MonitoringTestHost.StartAsync(withIdentityDatabase: false);

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "OK")));
    }

    [Test]
    public async Task Up_WhenCheckThrowsWarning_Returns200WithWarningLine()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("queue", (_, _) => throw new MonitorUpWarningException("queue is long"));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "WARNING: queue is long")));
    }

    [Test]
    public async Task Up_WarningRepeatedByTheNextRun_IsLoggedAtDebug_AndAChangeAtWarningAgain()
    {
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?> { ["AnxMonitoring:UpCacheLifetime"] = "0" }, withIdentityDatabase: false);
        var message = "queue is long";
        host.Events.Subscribe<MonitorUpCheck>("queue", (_, _) => throw new MonitorUpWarningException(message));

        (await host.GetUpAsync()).Dispose();
        (await host.GetUpAsync()).Dispose();
        message = "queue is very long";
        (await host.GetUpAsync()).Dispose();

        var levels = host.Logs.Entries.Where(e => e.EventId.Id is 101 or 107).Select(e => (e.Level, e.Message.EndsWith(message, StringComparison.Ordinal)));
        Assert.That(levels, Is.EqualTo(new[]
        {
            (Microsoft.Extensions.Logging.LogLevel.Warning, false),
            (Microsoft.Extensions.Logging.LogLevel.Debug, false),
            (Microsoft.Extensions.Logging.LogLevel.Warning, true),
        }));
    }

    [Test]
    public async Task Up_WhenCheckThrows_Returns500WithErrorLine()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("mail", (_, _) => throw new InvalidOperationException("smtp refused"));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.InternalServerError, "ERROR: smtp refused");
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Up_WithWarningsAndErrors_WritesWarningsFirstEachInSubscriptionOrder()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("e1", async (_, ct) =>
        {
            await Task.Delay(50, ct);
            throw new InvalidOperationException("first error");
        });
        host.Events.Subscribe<MonitorUpCheck>("w1", async (_, ct) =>
        {
            await Task.Delay(80, ct);
            throw new MonitorUpWarningException("first warning");
        });
        host.Events.Subscribe<MonitorUpCheck>("ok", (_, _) => Task.CompletedTask);
        host.Events.Subscribe<MonitorUpCheck>("e2", (_, _) => throw new InvalidOperationException("second error"));
        host.Events.Subscribe<MonitorUpCheck>("w2", (_, _) => throw new MonitorUpWarningException("second warning"));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(body, Is.EqualTo("WARNING: first warning\nWARNING: second warning\nERROR: first error\nERROR: second error"));
    }

    [Test]
    public async Task Up_WithEmptyMessages_WritesDash()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("w", (_, _) => throw new MonitorUpWarningException());
        host.Events.Subscribe<MonitorUpCheck>("e", (_, _) => throw new InvalidOperationException(string.Empty));

        var (_, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(body, Is.EqualTo("WARNING: -\nERROR: -"));
    }

    [Test]
    public async Task Up_WhenMessageHasLineBreaks_KeepsItOnOneLine()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("forger", (_, _) => throw new MonitorUpWarningException("slow\nOK\r\nERROR: fake\u2028x"));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body, Is.EqualTo("WARNING: slow OK  ERROR: fake x"));
        Assert.That(body.Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Up_WhenCheckHangsAndIgnoresItsToken_ReportsTimedOutAndEnds()
    {
        await using var host = await MonitoringTestHost.StartAsync(ShortTimeout, withIdentityDatabase: false);
        var release = new TaskCompletionSource();
        host.Events.Subscribe<MonitorUpCheck>("stuck queue", (_, _) => release.Task);
        host.Events.Subscribe<MonitorUpCheck>("fine", (_, _) => Task.CompletedTask);

        try
        {
            var (status, body) = await ReadAsync(await host.GetUpAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.That((status, body), Is.EqualTo((HttpStatusCode.InternalServerError, "ERROR: stuck queue timed out")));
        }
        finally
        {
            release.SetResult();
        }
    }

    [Test]
    public async Task Up_WhenCheckBlocksSynchronously_ReportsTimedOutAndOthersStillRun()
    {
        await using var host = await MonitoringTestHost.StartAsync(ShortTimeout, withIdentityDatabase: false);
        using var release = new ManualResetEventSlim();
        host.Events.Subscribe<MonitorUpCheck>("blocking", (_, _) =>
        {
            release.Wait(TimeSpan.FromSeconds(30), CancellationToken.None);
            return Task.CompletedTask;
        });
        host.Events.Subscribe<MonitorUpCheck>("warns", (_, _) => throw new MonitorUpWarningException("still ran"));

        try
        {
            var (_, body) = await ReadAsync(await host.GetUpAsync().WaitAsync(TimeSpan.FromSeconds(30)));

            Assert.That(body, Is.EqualTo("WARNING: still ran\nERROR: blocking timed out"));
        }
        finally
        {
            release.Set();
        }
    }

    [Test]
    public async Task Up_WhenCheckHonoursItsToken_ReportsTimedOut()
    {
        await using var host = await MonitoringTestHost.StartAsync(ShortTimeout, withIdentityDatabase: false);
        host.Events.Subscribe<MonitorUpCheck>("polite", (_, ct) => Task.Delay(Timeout.Infinite, ct));

        var (_, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(body, Is.EqualTo("ERROR: polite timed out"));
    }

    [Test]
    public async Task Up_EveryCheckRunsWhateverTheOthersDo()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        var ran = 0;
        for (var i = 0; i < 5; i++)
        {
            host.Events.Subscribe<MonitorUpCheck>($"c{i}", (_, _) =>
            {
                Interlocked.Increment(ref ran);
                throw new InvalidOperationException("boom");
            });
        }

        var (_, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(ran, Is.EqualTo(5));
        Assert.That(body.Split('\n'), Has.Length.EqualTo(5));
    }

    [Test]
    public async Task Up_SequentialProbes_ShareOneRunWithinTheCacheLifetime()
    {
        var runs = 0;
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:UpCacheLifetime"] = "00:01:00" }, withIdentityDatabase: false);
        host.Events.Subscribe<MonitorUpCheck>("counted", (_, _) =>
        {
            Interlocked.Increment(ref runs);
            return Task.CompletedTask;
        });

        for (var i = 0; i < 50; i++)
        {
            using var response = await host.GetUpAsync(trailingSlash: i % 2 == 0);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.That(runs, Is.EqualTo(1), "50 probes one after another within the lifetime: the checks ran once");
    }

    [Test]
    public async Task Up_AfterUnsubscribing_NoLongerRunsTheCheck()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        var subscription = host.Events.Subscribe<MonitorUpCheck>("gone", (_, _) => throw new InvalidOperationException("still here"));

        subscription.Dispose();
        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "OK")));
    }

    [Test]
    public async Task Up_EachCheckGetsItsOwnScope()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b => b.Services.AddScoped<ScopeMarker>());
        var markers = new System.Collections.Concurrent.ConcurrentBag<ScopeMarker>();
        for (var i = 0; i < 3; i++)
        {
            host.Events.Subscribe<MonitorUpCheck>($"scope {i}", (check, _) =>
            {
                markers.Add(check.Services.GetRequiredService<ScopeMarker>());
                return Task.CompletedTask;
            });
        }

        await ReadAsync(await host.GetUpAsync());

        Assert.That(markers.Distinct().Count(), Is.EqualTo(3));
        Assert.That(markers.All(m => m.Disposed), Is.True, "each check's scope is disposed when the check ends");
    }

    [Test]
    public async Task Up_ClassHandler_RunsAfterBuiltInsWithScopedServices()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b => b.Services.AddMonitorUpCheck<WarningHandler>().AddMonitorUpCheck<WarningHandler>());
        host.Events.Subscribe<MonitorUpCheck>("delegate", (_, _) => throw new MonitorUpWarningException("from delegate"));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body, Is.EqualTo("WARNING: users seen: 0\nWARNING: from delegate"), "registered twice, runs once; DI handlers before later delegates");
    }

    [Test]
    public async Task Up_Head_AnswersLikeGetWithoutRunningAnythingElse()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, MonitoringTestHost.UpUrl()));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Up_WhenCheckFails_LogsAWarningWithTheCheckName()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("mail", (_, _) => throw new InvalidOperationException("smtp refused"));

        await ReadAsync(await host.GetUpAsync());

        var entry = host.Logs.Entries.Single(e => e.EventId.Name == "UpCheckFailed");
        Assert.That(entry.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.That(entry.Message, Does.Contain("'mail'").And.Contain("System.InvalidOperationException: smtp refused"));
        Assert.That(entry.Exception, Is.Null, "the exception's text goes into the message, masked; the object itself is not attached");
    }

    public sealed class ScopeMarker : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    public sealed class WarningHandler(UserManager<IdentityUser> users) : IMonitorUpCheckHandler
    {
        public async Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken)
        {
            var count = await users.Users.CountAsync(cancellationToken);
            throw new MonitorUpWarningException($"users seen: {count}");
        }
    }
}
