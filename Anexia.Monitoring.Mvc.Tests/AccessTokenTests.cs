using System.Net;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests;

[TestFixture]
public sealed class AccessTokenTests
{
    private const string Token = MonitoringTestHost.Token;

    [TestCase("/anxapi/v1/up")]
    [TestCase("/anxapi/v1/up/")]
    [TestCase("/anxapi/v1/up?access_token=")]
    [TestCase("/anxapi/v1/up?access_token=wrong")]
    [TestCase("/anxapi/v1/up?access_token=test-token")]
    [TestCase("/anxapi/v1/up?access_token=test-token-0123456789%20")]
    [TestCase("/anxapi/v1/up?access_token=TEST-TOKEN-0123456789")]
    [TestCase("/anxapi/v1/up?access_token=test-token-0123456789&access_token=other")]
    [TestCase("/anxapi/v1/modules")]
    [TestCase("/anxapi/v1/modules/?access_token=wrong")]
    public async Task Get_WithoutTheRightToken_Returns401WithContractHeaders(string url)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await host.Client.GetAsync(url);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.Unauthorized, "401 Unauthorized");
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Get_WithTheTokenRepeatedWithTheSameValue_IsAccepted()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await host.Client.GetAsync($"/anxapi/v1/up?access_token={Token}&access_token={Token}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Get_WithPercentEncodedNonAsciiToken_MatchesTheDecodedValue()
    {
        const string token = "tök€n/with+special&chars";
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?> { ["AnxMonitoring:AccessToken"] = token });

        using var right = await host.GetUpAsync(token);
        using var wrong = await host.GetUpAsync("tok€n/with+special&chars");

        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    public async Task Get_WhenNoTokenIsConfigured_Returns401EvenForAnEmptyOrBlankParameter(string? configured)
    {
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?> { ["AnxMonitoring:AccessToken"] = configured });

        using var empty = await host.Client.GetAsync("/anxapi/v1/up?access_token=");
        using var blank = await host.Client.GetAsync("/anxapi/v1/up?access_token=%20%20%20");

        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(blank.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Startup_WhenNoTokenIsConfigured_LogsOneWarning()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["AnxMonitoring:AccessToken"] = null },
            addMonitoring: b => b.Services.AddControllers().AddAnxMonitoring(b.Configuration).AddAnxMonitoring(b.Configuration));

        var warnings = host.Logs.Entries.Where(e => e.EventId.Name == "NoAccessToken").ToList();

        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warnings[0].Message, Does.Contain("401"));
    }

    [Test]
    public async Task Startup_WithToken_LogsNoWarning()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        Assert.That(host.Logs.Entries.Where(e => e.EventId.Name == "NoAccessToken"), Is.Empty);
    }

    [Test]
    public async Task LibraryLogs_NeverContainTheToken()
    {
        await using var host = await MonitoringTestHost.StartAsync();
        host.Events.Subscribe<MonitorUpCheck>("fails", (_, _) => throw new InvalidOperationException("boom"));

        (await host.GetUpAsync()).Dispose();
        (await host.GetUpAsync("wrong-" + Token)).Dispose();
        (await host.GetUpAsync(Token + "x")).Dispose();

        // ASP.NET Core's own request logging records query strings, token included; this library never does.
        var libraryEntries = host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.", StringComparison.Ordinal)).ToList();
        Assert.That(libraryEntries, Is.Not.Empty);
        Assert.That(libraryEntries.Where(e => e.ToString().Contains(Token, StringComparison.Ordinal)), Is.Empty);
        Assert.That(host.Logs.Entries.Count(e => e.EventId.Name == "AccessTokenRejected"), Is.EqualTo(2));
    }

    [TestCase("/anxapi/v1/up")]
    [TestCase("/anxapi/v1/up/")]
    [TestCase("/anxapi/v1/modules")]
    [TestCase("/anxapi/v1/modules/")]
    public async Task Options_WithoutToken_Returns200WithCorsHeaders(string url)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, url));

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, string.Empty);
        ContractAssert.HasContractHeaders(response);
    }

    [TestCase("POST", "/anxapi/v1/up")]
    [TestCase("PUT", "/anxapi/v1/up/")]
    [TestCase("DELETE", "/anxapi/v1/modules")]
    [TestCase("PATCH", "/anxapi/v1/modules/")]
    public async Task OtherMethods_Return405WithAllowHeader(string method, string url)
    {
        await using var host = await MonitoringTestHost.StartAsync();
        var ran = 0;
        host.Events.Subscribe<MonitorUpCheck>("counter", (_, _) =>
        {
            Interlocked.Increment(ref ran);
            return Task.CompletedTask;
        });

        using var response = await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url + "?access_token=" + Token));

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.MethodNotAllowed, "405 Method Not Allowed");
        ContractAssert.HasContractHeaders(response);
        Assert.That(ran, Is.Zero);
    }

    [Test]
    public async Task Up_InHostWithFallbackAuthorizationPolicy_IsGuardedByTheTokenAlone()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b =>
            {
                b.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, RejectingAuthenticationHandler>("Test", null);
                b.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
            },
            configureApp: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapGet("/private", () => "secret");
            });

        using var privateResponse = await host.Client.GetAsync("/private");
        using var withToken = await host.GetUpAsync();
        using var withoutToken = await host.GetUpAsync(token: null);

        Assert.That(privateResponse.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the host's own endpoints stay locked");
        await ContractAssert.IsPlainTextAsync(withToken, HttpStatusCode.OK, "OK");
        await ContractAssert.IsPlainTextAsync(withoutToken, HttpStatusCode.Unauthorized, "401 Unauthorized");
    }

    [Test]
    public async Task Up_InHostWithGlobalAuthorizeFilterAndOwnJsonOptions_StillAnswers()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b =>
            {
                b.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, RejectingAuthenticationHandler>("Test", null);
                b.Services.AddControllers(o => o.Filters.Add(new AuthorizeFilter()))
                    .AddJsonOptions(o => o.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.KebabCaseUpper);
            },
            configureApp: app => app.UseAuthentication());

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
    }

    /// <summary>An authentication scheme that never authenticates anybody.</summary>
    private sealed class RejectingAuthenticationHandler(
        Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }
}
