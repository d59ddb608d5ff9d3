using System.Net;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Security;

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

    [TestCase("/anxapi/v1/up")]
    [TestCase("/anxapi/v1/up/")]
    [TestCase("/anxapi/v1/modules")]
    [TestCase("/anxapi/v1/modules/")]
    public async Task Get_WithBearerHeader_IsAccepted(string path)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await SendAsync(host, path, "Bearer " + Token);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        ContractAssert.HasContractHeaders(response);
    }

    [TestCase("bearer " + Token)]
    [TestCase("BEARER  " + Token + " ")]
    public async Task Get_WithBearerSchemeInAnyCaseAndSurroundingSpaces_IsAccepted(string header)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await SendAsync(host, "/anxapi/v1/up", header);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.OK, "OK");
    }

    [TestCase("Bearer wrong")]
    [TestCase("Bearer ")]
    [TestCase("Bearer " + Token + "x")]
    [TestCase("Basic " + Token)]
    [TestCase(Token)]
    public async Task Get_WithAWrongOrEmptyBearerOrAnotherScheme_Returns401(string header)
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await SendAsync(host, "/anxapi/v1/up", header);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.Unauthorized, "401 Unauthorized");
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Get_WithAProxysBasicHeaderBesideTheQueryToken_IsAccepted()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var response = await SendAsync(host, "/anxapi/v1/up?access_token=" + Token, "Basic dXNlcjpwYXNz");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Get_WithQueryAndBearerAgreeing_IsAccepted_AndDisagreeing_Returns401()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var agreeing = await SendAsync(host, "/anxapi/v1/up?access_token=" + Token, "Bearer " + Token);
        using var disagreeing = await SendAsync(host, "/anxapi/v1/up?access_token=" + Token, "Bearer other");

        Assert.That(agreeing.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(disagreeing.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(host.Logs.Entries.Select(e => e.Message), Has.Some.Contains("given more than once with different values"));
    }

    [Test]
    public async Task AccessTokens_AllowRotation_EveryListedTokenIsAcceptedAndOthersAreNot()
    {
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AnxMonitoring:AccessToken"] = "old-token",
            ["AnxMonitoring:AccessTokens:0"] = "new-token",
            ["AnxMonitoring:AccessTokens:1"] = "   ",
        });

        using var old = await host.GetUpAsync("old-token");
        using var fresh = await host.GetUpAsync("new-token");
        using var freshAsBearer = await SendAsync(host, "/anxapi/v1/modules", "Bearer new-token");
        using var wrong = await host.GetUpAsync("other-token");
        using var blank = await host.GetUpAsync("   ");

        Assert.Multiple(() =>
        {
            Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(freshAsBearer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(blank.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a blank entry is no token");
        });
    }

    [Test]
    public async Task AccessTokens_FromTheFlatKey_ReplaceTheSectionListAndWorkWithoutAccessToken()
    {
        await using var host = await MonitoringTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AnxMonitoring:AccessToken"] = null,
            ["AnxMonitoring:AccessTokens:0"] = "section-token",
            ["ANX_MONITORING_ACCESS_TOKENS"] = "first-token; second-token",
        });

        using var first = await host.GetUpAsync("first-token");
        using var second = await host.GetUpAsync("second-token");
        using var section = await host.GetUpAsync("section-token");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(section.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(host.Logs.Entries.Where(e => e.EventId.Name == "NoAccessToken"), Is.Empty, "a listed token is a configured token");
    }

    [Test]
    public async Task Answers_AreNeverCached_OkWarningErrorUnauthorizedOptionsAndModules()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var up = await host.GetUpAsync();
        using var modules = await host.GetModulesAsync();
        using var unauthorized = await host.GetUpAsync("wrong");
        using var options = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/anxapi/v1/up"));

        foreach (var response in new[] { up, modules, unauthorized, options })
        {
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}");
        }
    }

    [Test]
    public async Task LibraryLogs_NeverContainABearerToken()
    {
        await using var host = await MonitoringTestHost.StartAsync();

        using var right = await SendAsync(host, "/anxapi/v1/up", "Bearer " + Token);
        using var wrong = await SendAsync(host, "/anxapi/v1/up", "Bearer wrong-secret-value");

        var libraryLogs = host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.That(libraryLogs, Is.Not.Empty);
        Assert.That(libraryLogs, Has.None.Contains(Token).And.None.Contains("wrong-secret-value"));
    }

    private static Task<HttpResponseMessage> SendAsync(MonitoringTestHost host, string path, string authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return host.Client.SendAsync(request);
    }
}
