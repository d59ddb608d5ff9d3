using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;

namespace Anexia.Monitoring.Mvc.Tests;

/// <summary>The token as a Bearer header, several accepted tokens for rotation, and answers that are never cached.</summary>
[TestFixture]
public sealed class TokenHandlingTests
{
    private const string Token = MonitoringTestHost.Token;

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
