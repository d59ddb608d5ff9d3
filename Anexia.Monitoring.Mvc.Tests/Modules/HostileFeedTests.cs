using System.Text;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>
/// A real feed on loopback answering as a hostile one would: what it can make the host hold is bounded per resource
/// (connections, files, versions, advisories, bytes kept), and what it says is shown as text.
/// </summary>
[TestFixture]
public sealed class HostileFeedTests
{
    private LocalNuGetFeed _feed = null!;

    [SetUp]
    public async Task StartFeed() => _feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);

    [TearDown]
    public async Task StopFeed() => await _feed.DisposeAsync();

    [Test]
    public async Task VulnerabilityIndexOfFiveThousandFilesThatNeverAnswer_HoldsAtMostTwoConnections_AndTheEndpointsAnswer()
    {
        var open = 0;
        var mostOpen = 0;
        var asked = 0;
        _feed.Advisories = [];
        _feed.Intercept = async context =>
        {
            var path = context.Request.Path.Value!;
            if (path == "/v3/vulnerabilities/index.json")
            {
                await WriteAsync(context, JsonSerializer.Serialize(Enumerable.Range(0, 5_000).Select(i => new Dictionary<string, string>
                {
                    ["@name"] = $"file{i}",
                    ["@id"] = $"{_feed.BaseUrl}/hang/{i}.json",
                    ["@updated"] = "2026-11-01T00:00:00Z",
                })));
                return true;
            }

            if (!path.StartsWith("/hang/", StringComparison.Ordinal))
            {
                return false;
            }

            Interlocked.Increment(ref asked);
            var now = Interlocked.Increment(ref open);
            InterlockedMax(ref mostOpen, now);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }

            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        await WaitUntilAsync(() => Volatile.Read(ref asked) >= 1, () => "no vulnerability file asked");
        using var modules = await host.GetModulesAsync();
        using var up = await host.GetUpAsync();
        await Task.Delay(500);

        Assert.Multiple(() =>
        {
            Assert.That(Volatile.Read(ref mostOpen), Is.LessThanOrEqualTo(VulnerabilityDatabase.FileConcurrency), "connections to the files at once");
            Assert.That(Volatile.Read(ref asked), Is.LessThanOrEqualTo(VulnerabilityDatabase.FileConcurrency), "files asked while those hang");
            Assert.That(up.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), "up answers");
            Assert.That(modules.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), "modules answers within its deadline");
        });
    }

    [Test]
    public async Task VulnerabilityIndexOfHundredFiles_ReadsThirtyTwo_DropsNonHttpAddresses_AndWarnsOnce()
    {
        _feed.Advisories = [];
        var files = 0;
        _feed.Intercept = async context =>
        {
            var path = context.Request.Path.Value!;
            if (path == "/v3/vulnerabilities/index.json")
            {
                await WriteAsync(context, JsonSerializer.Serialize(Enumerable.Range(0, 100).Select(i => new Dictionary<string, string>
                {
                    ["@name"] = $"file{i}",
                    ["@id"] = $"{_feed.BaseUrl}/files/{i}.json",
                })));
                return true;
            }

            if (!path.StartsWith("/files/", StringComparison.Ordinal))
            {
                return false;
            }

            var i = Interlocked.Increment(ref files);
            await WriteAsync(context, $$"""
                {"fixture.alpha": [
                  {"url": "https://advisories.example.test/{{i}}", "severity": 2, "versions": "[1.0.0, 1.1.0)"},
                  {"url": "javascript:alert(document.domain)//{{i}}", "severity": 3, "versions": "[1.0.0, 1.1.0)"}]}
                """);
            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        var alpha = Module(await ReadJsonAsync(await host.GetCompleteModulesAsync()), "Fixture.Alpha");
        var advisories = alpha.GetProperty("installed_version_vulnerabilities").EnumerateArray().Select(v => v.GetProperty("advisory_url").GetString()).ToList();
        var warnings = host.Logs.Entries.Where(e => e.EventId.Name == "VulnerabilityDataBounded").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(files, Is.EqualTo(VulnerabilityDatabase.MaxFiles), "files read");
            Assert.That(advisories, Has.Count.EqualTo(VulnerabilityDatabase.MaxFiles));
            Assert.That(advisories, Has.All.StartsWith("https://advisories.example.test/"));
            Assert.That(warnings, Has.Count.EqualTo(1), "told once");
            Assert.That(warnings[0].Message, Does.Contain("68 files over the 32 read").And.Contain("32 advisories without an http(s) address dropped"));
        });
    }

    [Test]
    public void VulnerabilityData_OverTheAdvisoryBound_KeepsTheBoundAndCountsTheRest()
    {
        var database = new VulnerabilityDatabase();
        for (var file = 0; file < 3; file++)
        {
            var json = new StringBuilder("{\"some.package\":[");
            for (var i = 0; i < 10_000; i++)
            {
                json.Append(i == 0 ? "" : ",").Append(System.Globalization.CultureInfo.InvariantCulture, $$"""{"url":"https://advisories.example.test/{{file}}/{{i}}","severity":1,"versions":"[1.0.0, )"}""");
            }

            database.Add(Encoding.UTF8.GetBytes(json.Append("]}").ToString()));
        }

        Assert.Multiple(() =>
        {
            Assert.That(database.For("Some.Package", NuGet.Versioning.NuGetVersion.Parse("1.0.0")), Has.Count.EqualTo(VulnerabilityDatabase.MaxAdvisories));
            Assert.That(database.SkippedAdvisories, Is.EqualTo(30_000 - VulnerabilityDatabase.MaxAdvisories));
            Assert.That(database.TakeNotice(), Is.True);
            Assert.That(database.TakeNotice(), Is.False, "once");
        });
    }

    [Test]
    public async Task NuspecPaddedToFifteenMebibytes_YieldsTheLicenceAtItsEnd()
    {
        _feed.Intercept = async context =>
        {
            if (context.Request.Path.Value != "/v3/flatcontainer/fixture.nuspeconly/1.0.0/fixture.nuspeconly.nuspec")
            {
                return false;
            }

            context.Response.ContentType = "application/xml";
            var body = context.Response.Body;
            await body.WriteAsync("<?xml version=\"1.0\"?><package><metadata><id>Fixture.NuspecOnly</id>"u8.ToArray());
            var padding = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("<a/>", 16_384)));
            for (var written = 0L; written < 15L * 1024 * 1024; written += padding.Length)
            {
                await body.WriteAsync(padding);
            }

            await body.WriteAsync("<license type=\"expression\">BSD-2-Clause</license></metadata></package>"u8.ToArray());
            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        var module = Module(await ReadJsonAsync(await host.GetCompleteModulesAsync()), "Fixture.NuspecOnly");

        Assert.That(Licences(module, "installed_version_licences"), Is.EqualTo(new[] { "BSD-2-Clause" }));
    }

    [Test]
    public void Nuspec_WithADocumentTypeDefinition_IsRefused()
    {
        var nuspec = """
            <?xml version="1.0"?>
            <!DOCTYPE package [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <package><metadata><license type="expression">&b;</license></metadata></package>
            """;

        Assert.ThrowsAsync<System.Xml.XmlException>(() => Anexia.Monitoring.Mvc.Modules.Registry.Licences.FromNuspecAsync(new MemoryStream(Encoding.UTF8.GetBytes(nuspec)), CancellationToken.None));
    }

    [Test]
    public async Task ServiceIndexPaddedWithNumbers_IsReadForItsResourcesOnly()
    {
        var json = new StringBuilder("""{"version":"3.0.0","padding":[""");
        for (var i = 0; i < 500_000; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(i);
        }

        json.Append("""],"resources":[{"@id":"https://feed.example.test/reg/","@type":["RegistrationsBaseUrl/3.6.0","RegistrationsBaseUrl"],"comment":[1,2,3]},{"@id":42,"@type":"PackageBaseAddress/3.0.0"}]}""");

        var index = await ServiceIndexJson.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())), CancellationToken.None);
        var resource = new NuGet.Protocol.ServiceIndexResourceV3(index, DateTime.UtcNow);

        Assert.Multiple(() =>
        {
            Assert.That(resource.GetServiceEntryUri(NuGet.Protocol.ServiceTypes.RegistrationsBaseUrl), Is.EqualTo(new Uri("https://feed.example.test/reg/")));
            Assert.That(index.ToString(), Does.Not.Contain("padding").And.Not.Contain("comment"));
        });
    }

    [Test]
    public void ServiceIndex_WithMoreResourcesThanTheBound_IsRefused()
    {
        var resources = string.Join(",", Enumerable.Range(0, ServiceIndexJson.MaxResources + 1).Select(i => $$"""{"@id":"https://x.test/{{i}}","@type":"T"}"""));
        var json = $$"""{"version":"3.0.0","resources":[{{resources}}]}""";

        Assert.ThrowsAsync<InvalidDataException>(() => ServiceIndexJson.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), CancellationToken.None));
    }

    [Test]
    public async Task RegistrationOfHundredFiftyPagesOfTenThousandVersions_ReadsTheNewestPageAndTheInstalledVersionsPage()
    {
        const int pages = 150;
        var pagesRead = new System.Collections.Concurrent.ConcurrentBag<int>();
        _feed.Intercept = async context =>
        {
            var path = context.Request.Path.Value!;
            if (path == "/v3/registration/many.versions/index.json")
            {
                var items = Enumerable.Range(0, pages).Select(p => new Dictionary<string, object>
                {
                    ["@id"] = $"{_feed.BaseUrl}/v3/registration/many.versions/page/{p}.json",
                    ["count"] = 10_000,
                    ["lower"] = $"{p}.0.0",
                    ["upper"] = $"{p}.9999.0",
                });
                await WriteAsync(context, JsonSerializer.Serialize(new { count = pages, items }));
                return true;
            }

            if (!path.StartsWith("/v3/registration/many.versions/page/", StringComparison.Ordinal))
            {
                return false;
            }

            var page = int.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);
            pagesRead.Add(page);
            var leaves = string.Join(",", Enumerable.Range(0, 10_000).Select(v => $$$"""{"catalogEntry":{"id":"Many.Versions","version":"{{{page}}}.{{{v}}}.0","licenseExpression":"MIT"}}"""));
            await WriteAsync(context, $$"""{"count":10000,"lower":"{{page}}.0.0","upper":"{{page}}.9999.0","items":[{{leaves}}]}""");
            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, installed: [new("Many.Versions", "0.5.0")]);

        var module = Module(await ReadJsonAsync(await host.GetCompleteModulesAsync()), "Many.Versions");

        Assert.Multiple(() =>
        {
            Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo("149.9999.0"));
            Assert.That(Licences(module, "installed_version_licences"), Is.EqualTo(new[] { "MIT" }), "the installed version's page was read");
            Assert.That(pagesRead.Order(), Is.EqualTo(new[] { 0, pages - 1 }), "the newest page, then only the installed version's");
        });
    }

    [TestCase(false, TestName = "Pages that do not say their range")]
    [TestCase(true, TestName = "Pages that each claim every version")]
    public async Task RegistrationPastTheVersionBound_ReadsOneMorePageAtMost(bool claimEverything)
    {
        const int pages = 40;
        var pagesRead = new System.Collections.Concurrent.ConcurrentBag<int>();
        _feed.Intercept = async context =>
        {
            var path = context.Request.Path.Value!;
            if (path == "/v3/registration/many.versions/index.json")
            {
                var items = Enumerable.Range(0, pages).Select(p => claimEverything
                    ? new Dictionary<string, object> { ["@id"] = $"{_feed.BaseUrl}/v3/registration/many.versions/page/{p}.json", ["lower"] = "0.0.0", ["upper"] = "999.0.0" }
                    : new Dictionary<string, object> { ["@id"] = $"{_feed.BaseUrl}/v3/registration/many.versions/page/{p}.json" });
                await WriteAsync(context, JsonSerializer.Serialize(new { items }));
                return true;
            }

            if (!path.StartsWith("/v3/registration/many.versions/page/", StringComparison.Ordinal))
            {
                return false;
            }

            var page = int.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);
            pagesRead.Add(page);
            var leaves = string.Join(",", Enumerable.Range(0, 10_000).Select(v => $$$"""{"catalogEntry":{"id":"Many.Versions","version":"{{{page}}}.{{{v}}}.0"}}"""));
            await WriteAsync(context, $$"""{"items":[{{leaves}}]}""");
            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, installed: [new("Many.Versions", "0.5.0")]);

        var module = Module(await ReadJsonAsync(await host.GetCompleteModulesAsync()), "Many.Versions");

        Assert.Multiple(() =>
        {
            Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo($"{pages - 1}.9999.0"));
            Assert.That(pagesRead, Has.Count.EqualTo(claimEverything ? 2 : 1), "the newest page, and one more only when its range says it holds the installed version");
        });
    }

    [Test]
    public async Task RegistrationIndexWithMoreThanTenThousandInlineEntries_IsRefused_AndTheOthersAnswered()
    {
        _feed.Intercept = async context =>
        {
            if (context.Request.Path.Value != "/v3/registration/fixture.alpha/index.json")
            {
                return false;
            }

            string Page(int p) => "{\"items\":[" + string.Join(",", Enumerable.Range(0, 6_000).Select(v => $$$"""{"catalogEntry":{"id":"Fixture.Alpha","version":"{{{p}}}.{{{v}}}.0"}}""")) + "]}";
            await WriteAsync(context, "{\"items\":[" + Page(0) + "," + Page(1) + "]}");
            return true;
        };
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl);

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());

        Assert.Multiple(() =>
        {
            Assert.That(Module(root, "Fixture.Alpha").GetProperty("newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null), "12,000 entries in one answer");
            Assert.That(Module(root, "Fixture.Paged").GetProperty("newest_version").GetString(), Is.EqualTo("3.0.0"));
            Assert.That(host.Logs.Entries.Any(e => e.EventId.Name == "PackageSourceFailed" && e.Message.Contains("more than 10000 entries", StringComparison.Ordinal)), Is.True);
        });
    }

    [Test]
    public async Task ASecondSourceThatNeverAnswers_FailsAlone_AndTheFirstSourcesAnswerCounts()
    {
        await using var silent = await LocalNuGetFeed.StartAsync([]);
        silent.Fault = FeedFault.Hang;
        await using var host = await ModulesHost.StartAsync(_feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:PackageSources:1"] = silent.ServiceIndexUrl,
            ["AnxMonitoring:LookupTimeout"] = "00:00:02",
            ["AnxMonitoring:ModulesDeadline"] = "00:00:10",
        });

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());

        Assert.That(Module(root, "Fixture.Alpha").GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"));
    }

    [Test]
    public async Task ScriptAddressesAndLineBreaksFromTheFeed_AreDroppedFromModulesAndEscapedInTheLog()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(
        [
            new FeedPackage("Hostile.Package",
            [
                new("1.0.0", LicenseUrl: "javascript:alert(document.domain)//",
                    Vulnerabilities: [new(3, "javascript:alert(document.domain)//"), new(2, "https://advisories.example.test/ok")],
                    Deprecation: new(["Legacy", "x\r\ny"], "line one\r\nERROR: forged line", "javascript:evil")),
            ]),
        ]);
        feed.Intercept = async context =>
        {
            if (context.Request.Path.Value != "/v3/registration/broken.page/index.json")
            {
                return false;
            }

            await WriteAsync(context, JsonSerializer.Serialize(new { items = new[] { new Dictionary<string, string> { ["@id"] = feed.BaseUrl + "/nothing\r\nFORGED log entry" } } }));
            return true;
        };
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, installed: [new("Hostile.Package", "1.0.0"), new("Broken.Page", "1.0.0")]);

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());
        var module = Module(root, "Hostile.Package");
        await WaitUntilAsync(() => host.Logs.Entries.Any(e => e.EventId.Name == "PackageSourceFailed" && e.Message.Contains("FORGED", StringComparison.Ordinal)));
        var deprecation = module.GetProperty("installed_version_deprecation");

        Assert.Multiple(() =>
        {
            Assert.That(root.ToString(), Does.Not.Contain("javascript:"));
            Assert.That(module.GetProperty("installed_version_vulnerabilities").EnumerateArray().Select(v => v.GetProperty("advisory_url").GetString()),
                Is.EqualTo(new[] { "https://advisories.example.test/ok" }));
            Assert.That(Licences(module, "installed_version_licences"), Is.Empty);
            Assert.That(deprecation.GetProperty("message").GetString(), Is.EqualTo("line one  ERROR: forged line"));
            Assert.That(deprecation.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "Legacy" }));
            Assert.That(deprecation.GetProperty("alternative").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.", StringComparison.Ordinal)).Select(e => e.Message),
                Has.None.Contains('\n').And.None.Contains('\r'), "no raw line break in a log entry");
            Assert.That(host.Logs.Entries.Any(e => e.Message.Contains("nothing\\r\\nFORGED", StringComparison.Ordinal)), Is.True, "escaped instead");
        });
    }

    private static async Task WriteAsync(HttpContext context, string json)
    {
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(json), context.RequestAborted);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
