using System.Net;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Anexia.Monitoring.Mvc.Tests.Security;

/// <summary>Token guessing is throttled per client address, a valid token never is, and the log gets one summary.</summary>
[TestFixture]
public sealed class TokenThrottlingTests
{
    private const string ClientHeader = "X-Test-Client";

    /// <summary>The test server has no client address: this sets one from a request header, as a proxy set-up would.</summary>
    private static void ClientAddressFromHeader(WebApplication app) => app.Use(async (context, next) =>
    {
        if (context.Request.Headers.TryGetValue(ClientHeader, out var address))
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
        }

        await next();
    });

    private static async Task<HttpResponseMessage> GetUpAsync(MonitoringTestHost host, string client, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, MonitoringTestHost.UpUrl(token));
        request.Headers.Add(ClientHeader, client);
        return await host.Client.SendAsync(request);
    }

    [Test]
    public async Task WrongTokens_OverTheDefaultLimit_Get429WithRetryAfter_WhileAValidTokenFromTheSameAddressGets200()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureApp: ClientAddressFromHeader);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            using var refused = await GetUpAsync(host, "192.0.2.7", "guess-" + i);
            statuses.Add(refused.StatusCode);
        }

        using var overLimit = await GetUpAsync(host, "192.0.2.7", "guess-60");
        using var noToken = await GetUpAsync(host, "192.0.2.7", token: null);
        using var valid = await GetUpAsync(host, "192.0.2.7", MonitoringTestHost.Token);
        using var otherAddress = await GetUpAsync(host, "198.51.100.1", "guess");

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Unauthorized), "60 failures a minute are allowed");
            await ContractAssert.IsPlainTextAsync(overLimit, HttpStatusCode.TooManyRequests, "429 Too Many Requests");
            ContractAssert.HasContractHeaders(overLimit);
            var retryAfter = overLimit.Headers.RetryAfter?.Delta;
            Assert.That(retryAfter, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromMinutes(1)), "Retry-After until the window passes");
            Assert.That(noToken.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "no token is a failure too");
            await ContractAssert.IsPlainTextAsync(valid, HttpStatusCode.OK, "OK");
            Assert.That(otherAddress.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "other addresses have their own budget");
        });
    }

    [Test]
    public async Task ValidTokens_AreNeverCountedNorThrottled()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:FailedTokenLimit"] = "3" },
            configureApp: ClientAddressFromHeader);

        var valid = new List<HttpStatusCode>();
        for (var i = 0; i < 100; i++)
        {
            using var response = await GetUpAsync(host, "192.0.2.8", MonitoringTestHost.Token);
            valid.Add(response.StatusCode);
        }

        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await GetUpAsync(host, "192.0.2.8", "guess");
            wrong.Add(response.StatusCode);
        }

        using var validAfter = await GetUpAsync(host, "192.0.2.8", MonitoringTestHost.Token);

        Assert.Multiple(() =>
        {
            Assert.That(valid, Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(wrong, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
            Assert.That(validAfter.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task FailedTokenLimit_Zero_SwitchesTheThrottlingOff()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["ANX_MONITORING_FAILED_TOKEN_LIMIT"] = "0" },
            configureApp: ClientAddressFromHeader);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 200; i++)
        {
            using var response = await GetUpAsync(host, "192.0.2.9", "guess");
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task WrongTokens_AThousandOfThem_LogNothingAboveDebugButOneSummaryWarningPerWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b => b.Services.AddSingleton<TimeProvider>(clock),
            configureApp: ClientAddressFromHeader);

        for (var i = 0; i < 1000; i++)
        {
            var client = i % 10 == 0 ? "203.0.113.2" : "203.0.113.1";
            using var response = await GetUpAsync(host, client, "guess-" + i);
        }

        var beforeWindow = host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.", StringComparison.Ordinal) && e.Level >= LogLevel.Information).ToList();
        clock.Advance(TimeSpan.FromMinutes(1));
        clock.Advance(TimeSpan.FromMinutes(5));
        var summaries = host.Logs.Entries.Where(e => e.EventId.Name == "AccessTokenRefusalsSummary").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(beforeWindow, Is.Empty, "no entry per refused request above Debug");
            Assert.That(host.Logs.Entries.Count(e => e.EventId.Name is "AccessTokenRejected" or "AccessTokenThrottled"), Is.EqualTo(1000),
                "each refusal is still there at Debug");
            Assert.That(summaries, Has.Count.EqualTo(1), "one summary for the window, none for the quiet windows after it");
            Assert.That(summaries[0].Level, Is.EqualTo(LogLevel.Warning));
            Assert.That(summaries[0].Message, Does.StartWith("1000 monitoring requests were refused")
                .And.Contain("(880 of them answered 429)")
                .And.Contain("203.0.113.1 (900), 203.0.113.2 (100)"));
            Assert.That(summaries[0].Message, Does.Not.Contain("guess"), "no token in the log");
        });
    }

    [TestCase("192.0.2.1", "192.0.2.1")]
    [TestCase("::ffff:192.0.2.1", "192.0.2.1")]
    [TestCase("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [TestCase("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void ClientKey_IsTheIPv4AddressOrTheIPv6Slash64(string address, string key) =>
        Assert.That(FailedTokenThrottle.ClientKey(IPAddress.Parse(address)), Is.EqualTo(key));

    [Test]
    public void ManyDistinctAddresses_AreToldApartUpToTheBound_AndShareOneBudgetBeyondIt()
    {
        var options = new AnxMonitoringOptions { FailedTokenLimit = 2 };
        using var throttle = new FailedTokenThrottle(
            Options.Create(options), TimeProvider.System, NullLogger<FailedTokenThrottle>.Instance);

        var admitted = 0;
        for (var i = 0; i < FailedTokenThrottle.MaxTrackedAddresses + 5_000; i++)
        {
            var context = new DefaultHttpContext();
            context.Connection.RemoteIpAddress = new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            admitted += throttle.AdmitFailure(context, out _) ? 1 : 0;
        }

        Assert.Multiple(() =>
        {
            Assert.That(throttle.TrackedAddresses, Is.LessThanOrEqualTo(FailedTokenThrottle.MaxTrackedAddresses + 1));
            Assert.That(admitted, Is.EqualTo(FailedTokenThrottle.MaxTrackedAddresses + 2),
                "each tracked address had its own budget; the rest shared one of 2");
        });
    }

    [Test]
    public void RetryAfter_IsTheTimeLeftInTheAddressesWindow_AndANewWindowStartsAfterIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new AnxMonitoringOptions { FailedTokenLimit = 2, FailedTokenWindow = TimeSpan.FromSeconds(60) };
        using var throttle = new FailedTokenThrottle(Options.Create(options), time, NullLogger<FailedTokenThrottle>.Instance);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.7");

        var first = throttle.AdmitFailure(context, out _);
        time.Advance(TimeSpan.FromSeconds(20));
        var second = throttle.AdmitFailure(context, out _);
        time.Advance(TimeSpan.FromSeconds(25));
        var third = throttle.AdmitFailure(context, out var retryAfter);
        time.Advance(TimeSpan.FromSeconds(15));
        var nextWindow = throttle.AdmitFailure(context, out _);

        Assert.Multiple(() =>
        {
            Assert.That(new[] { first, second, third }, Is.EqualTo(new[] { true, true, false }));
            Assert.That(retryAfter, Is.EqualTo(TimeSpan.FromSeconds(15)), "60 s from the first failure, 45 s of which have passed");
            Assert.That(nextWindow, Is.True, "a new window once the old one is over");
        });
    }

    [Test]
    public async Task Throttled_RetryAfterHeader_SaysTheSecondsLeft()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:FailedTokenLimit"] = "1" },
            withIdentityDatabase: false,
            configureServices: b => b.Services.AddSingleton<TimeProvider>(time),
            configureApp: ClientAddressFromHeader);

        (await GetUpAsync(host, "203.0.113.9", "wrong")).Dispose();
        time.Advance(TimeSpan.FromSeconds(41));
        using var throttled = await GetUpAsync(host, "203.0.113.9", "wrong");

        Assert.Multiple(() =>
        {
            Assert.That(throttled.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(throttled.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(19)));
        });
    }
}
