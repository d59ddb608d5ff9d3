using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.MonitoringTestHost;

namespace Anexia.Monitoring.Mvc.Tests.Security;

/// <summary>
/// Hostile or clumsy requests against both endpoints and both path spellings: each gets a clear answer
/// (401, 405, 200 for OPTIONS and HEAD), never a 500, and nothing is logged at Error level or above by anyone
/// in the pipeline (this library, MVC, hosting).
/// </summary>
[TestFixture]
public sealed class BadInputTests
{
    private static readonly string[] Paths = ["/anxapi/v1/up", "/anxapi/v1/up/", "/anxapi/v1/modules", "/anxapi/v1/modules/"];

    private MonitoringTestHost _host = null!;
    private string _emptySource = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        // An empty local folder as the only package source: modules answers at once, every package unknown. This
        // fixture sends hundreds of refused requests from one (unknown) address to see each refusal's exact answer,
        // so the failed-token throttling, tested on its own in TokenThrottlingTests, is off here.
        _emptySource = Directory.CreateTempSubdirectory("anx-empty-source-").FullName;
        _host = await StartAsync(new Dictionary<string, string?>
        {
            ["AnxMonitoring:PackageSources:0"] = _emptySource,
            ["AnxMonitoring:FailedTokenLimit"] = "0",
        });
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        await _host.DisposeAsync();
        Directory.Delete(_emptySource, recursive: true);
    }

    [TearDown]
    public void NothingLoggedAsError() =>
        Assert.That(_host.Logs.Entries.Where(e => e.Level >= LogLevel.Error), Is.Empty, "no Error-level log entry from any bad input");

    public static IEnumerable<TestCaseData> WrongTokens()
    {
        var cases = new (string Name, string Query)[]
        {
            ("missing", ""),
            ("empty", "?access_token="),
            ("parameter without value", "?access_token"),
            ("wrong", "?access_token=wrong"),
            ("prefix of the right one", "?access_token=" + Token[..^1]),
            ("right one and more", "?access_token=" + Token + "0"),
            ("trailing space", "?access_token=" + Token + "%20"),
            ("leading space", "?access_token=%20" + Token),
            ("other case", "?access_token=" + Token.ToUpperInvariant()),
            ("10 KB long", "?access_token=" + new string('a', 10 * 1024)),
            ("10 KB long, starting with the right one", "?access_token=" + Token + new string('a', 10 * 1024)),
            ("non-ASCII", "?access_token=" + Uri.EscapeDataString("tëst-tökén-0123456789")),
            ("percent-encoded wrong one", "?access_token=%74%65%73%74"),
            ("malformed percent-encoding", "?access_token=%ZZ%"),
            ("NUL byte", "?access_token=" + Token + "%00"),
            ("given twice, different values", "?access_token=" + Token + "&access_token=wrong"),
            ("given twice, right one second", "?access_token=wrong&access_token=" + Token),
            ("in another parameter", "?token=" + Token),
            ("in the path", "/" + Token),
            ("100 KB query string without token", "?junk=" + new string('x', 100 * 1024)),
            ("100 KB query string, wrong token", "?access_token=wrong&junk=" + new string('x', 100 * 1024)),
        };
        foreach (var path in Paths)
        {
            foreach (var (name, query) in cases)
            {
                var url = query.StartsWith('/') ? path.TrimEnd('/') + query : path + query;
                yield return new TestCaseData(url).SetName($"Get {path} with token {name}: 401");
            }
        }
    }

    [TestCaseSource(nameof(WrongTokens))]
    public async Task Get_WithAWrongToken_Returns401(string url)
    {
        using var response = await _host.GetAsync(url);

        if (url.Contains("/" + Token, StringComparison.Ordinal))
        {
            // Not a route of this library at all: the host's own 404, never a 200 for a token in the path.
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            return;
        }

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.Unauthorized, "401 Unauthorized");
        ContractAssert.HasContractHeaders(response);
    }

    [TestCaseSource(nameof(Paths))]
    public async Task Get_WithTheRightTokenAndA100KbQueryString_Answers(string path)
    {
        using var response = await _host.GetAsync($"{path}?junk={new string('x', 100 * 1024)}&access_token={Token}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    public static IEnumerable<TestCaseData> DisallowedMethods() =>
        from method in new[] { "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND" }
        from path in Paths
        from withToken in new[] { false, true }
        select new TestCaseData(method, path, withToken).SetName($"{method} {path} {(withToken ? "with" : "without")} token: 405");

    [TestCaseSource(nameof(DisallowedMethods))]
    public async Task OtherMethods_Return405WithAllowHeader(string method, string path, bool withToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), withToken ? $"{path}?access_token={Token}" : path);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent(new string('{', 64 * 1024), System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await _host.Client.SendAsync(request);

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.MethodNotAllowed, "405 Method Not Allowed");
        ContractAssert.HasContractHeaders(response);
    }

    [TestCaseSource(nameof(Paths))]
    public async Task Head_WithoutToken_Returns401WithoutBody(string path)
    {
        using var response = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
        ContractAssert.HasContractHeaders(response);
    }

    [TestCaseSource(nameof(Paths))]
    public async Task Head_WithToken_Returns200WithoutBody(string path)
    {
        using var response = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{path}?access_token={Token}"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
        ContractAssert.HasContractHeaders(response);
    }

    [TestCaseSource(nameof(Paths))]
    public async Task Options_WithAWrongToken_StillAnswers200(string path)
    {
        using var response = await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, $"{path}?access_token=wrong"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        ContractAssert.HasContractHeaders(response);
    }

    [Test]
    public async Task Up_WhenACheckThrowsAMultiLineMessage_WritesOneLinePerProblem()
    {
        await using var host = await StartAsync(withIdentityDatabase: false);
        host.Events.Subscribe<MonitorUpCheck>("first", (_, _) => throw new InvalidOperationException("disk full\nOK\nWARNING: injected"));
        host.Events.Subscribe<MonitorUpCheck>("second", (_, _) => throw new MonitorUpWarningException("slow\r\nERROR: injected"));
        host.Events.Subscribe<MonitorUpCheck>("third", (_, _) => throw new InvalidOperationException("\n"));

        using var response = await host.GetUpAsync();

        await ContractAssert.IsPlainTextAsync(response, HttpStatusCode.InternalServerError,
            "WARNING: slow  ERROR: injected\nERROR: disk full OK WARNING: injected\nERROR: -");
    }
}
