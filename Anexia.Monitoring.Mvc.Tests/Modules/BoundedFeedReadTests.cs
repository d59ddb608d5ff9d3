using System.Diagnostics;
using System.Text;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>Answers of a package source are read with a byte limit and parsed as they stream: a huge answer cannot exhaust the host.</summary>
[TestFixture]
public sealed class BoundedFeedReadTests
{
    private const long HundredMegabytes = 100L * 1000 * 1000;
    private const long MemoryGrowthBound = 100L * 1024 * 1024;

    [Test]
    public async Task Modules_SixteenLookupsAgainstHundredMegabyteAnswers_StayWithinTheMemoryBound_AndTheOtherPackagesAreAnswered()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        var huge = Enumerable.Range(0, 16).Select(i => $"Huge.Package{i:D2}").ToList();
        foreach (var id in huge)
        {
            feed.HugeRegistrations[id] = HundredMegabytes;
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var peakBefore = process.PeakWorkingSet64;
        var before = process.WorkingSet64;
        long highest = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var self = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                self.Refresh();
                highest = Math.Max(highest, self.WorkingSet64);
                await Task.Delay(10);
            }
        });

        // The huge ones first in name order, so that all 16 lookup slots take them at once.
        var installed = huge.Select(id => new InstalledPackage(id, "1.0.0")).Concat(Fixtures.Installed).ToList();
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:ModulesDeadline"] = "00:00:30",
            ["AnxMonitoring:LookupTimeout"] = "00:00:30",
        }, installed: installed);
        var answer = await ModulesHost.ReadJsonAsync(await host.GetModulesAsync());
        await host.Services.GetRequiredService<ModuleLookups>().WhenIdleAsync().WaitAsync(ModulesHost.HangGuard);
        await sampling.CancelAsync();
        await sampler;
        process.Refresh();
        var tooLarge = host.Logs.Entries.Where(e => e.EventId.Name == "PackageSourceAnswerTooLarge").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(highest - before, Is.LessThan(MemoryGrowthBound), $"working set grew from {before >> 20} MiB to {highest >> 20} MiB");
            Assert.That(process.PeakWorkingSet64 - peakBefore, Is.LessThan(MemoryGrowthBound), "peak working set");
            Assert.That(tooLarge, Has.Count.EqualTo(1), "one warning per source per failure lifetime, not one per package");
            Assert.That(tooLarge[0].Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
            Assert.That(tooLarge[0].Message, Does.Contain(feed.ServiceIndexUrl).And.Contain("16777216 bytes (MaxFeedResponseBytes)"));
            Assert.That(ModulesHost.Module(answer, "Huge.Package00").GetProperty("newest_version").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            Assert.That(ModulesHost.Module(answer, "Fixture.Alpha").GetProperty("newest_version").GetString(), Is.EqualTo("1.1.0"),
                "the other packages are answered");
        });
        TestContext.Out.WriteLine($"working set {before >> 20} MiB -> highest {highest >> 20} MiB; peak {peakBefore >> 20} -> {process.PeakWorkingSet64 >> 20} MiB");
    }

    [Test]
    public async Task Modules_OverLimitAnswer_IsRememberedAsAFailureAndNotAskedAgainWithinTheFailureLifetime()
    {
        await using var feed = await LocalNuGetFeed.StartAsync(Fixtures.Feed);
        feed.HugeRegistrations["Huge.One"] = 2L * 1024 * 1024;
        await using var host = await ModulesHost.StartAsync(feed.ServiceIndexUrl, new()
        {
            ["AnxMonitoring:MaxFeedResponseBytes"] = "1048576",
            ["AnxMonitoring:ModulesFailureCacheLifetime"] = "00:10:00",
        }, installed: [new("Huge.One", "1.0.0")]);

        (await host.GetModulesAsync()).Dispose();
        await ModulesHost.WaitUntilAsync(() => host.Logs.Entries.Any(e => e.EventId.Name == "PackageSourceAnswerTooLarge"));
        var asked = feed.RequestsTo("/v3/registration/huge.one/");
        for (var i = 0; i < 5; i++)
        {
            (await host.GetModulesAsync()).Dispose();
        }

        Assert.Multiple(() =>
        {
            Assert.That(asked, Is.EqualTo(1));
            Assert.That(feed.RequestsTo("/v3/registration/huge.one/"), Is.EqualTo(1), "the failure is remembered");
            Assert.That(host.Logs.Entries.Count(e => e.EventId.Name == "PackageSourceAnswerTooLarge"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task BoundedReadStream_ReadsUpToTheLimit_AndFailsOneByteOver()
    {
        var address = new Uri("https://feed.example/v3/registration/x/index.json");
        var exact = new BoundedReadStream(new MemoryStream(new byte[1000]), 1000, address);
        var over = new BoundedReadStream(new MemoryStream(new byte[1001]), 1000, address);

        var read = await exact.CopyToCountAsync();
        var failure = Assert.ThrowsAsync<FeedResponseTooLargeException>(() => over.CopyToCountAsync());

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.EqualTo(1000));
            Assert.That(failure!.Limit, Is.EqualTo(1000));
            Assert.That(failure.Message, Does.Contain("larger than the limit of 1000 bytes"));
        });
    }

    [Test]
    public async Task RegistrationJson_ReadsOnlyTheReportedFields_SkipsCatalogAddresses_AndAcceptsBothSeverityForms()
    {
        const string json = """
            {"count":1,"items":[{"@id":"p","items":[
              {"catalogEntry":"https://feed.example/catalog/a.1.0.0.json"},
              {"catalogEntry":{"id":"A","version":"1.0.0","listed":true,"licenseExpression":"MIT","dependencyGroups":[{"dependencies":[{"id":"B"}]}],
                "vulnerabilities":[{"advisoryUrl":"https://advisory.example/1","severity":"2"},{"advisoryUrl":"https://advisory.example/2","severity":3}]}},
              {"catalogEntry":{"id":"A","version":"2.0.0","published":"1900-01-01T00:00:00+00:00","licenseUrl":"https://licence.example",
                "deprecation":{"reasons":["Legacy",""],"message":"use C","alternatePackage":{"id":"C","range":"*"}}}},
              {"catalogEntry":{"id":"Somebody.Else","version":"9.0.0"}},
              {"catalogEntry":{"id":"A","version":"not-a-version"}}
            ]}]}
            """;

        var index = await RegistrationJson.ReadIndexAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), CancellationToken.None);
        var entries = RegistrationJson.EntriesOf(index.Items!.Single().Items!, "a").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(entries.Select(e => e.Version.ToNormalizedString()), Is.EqualTo(new[] { "1.0.0", "2.0.0" }));
            Assert.That(entries.Select(e => e.Listed), Is.EqualTo(new[] { true, false }), "published 1900-01-01 is unlisted");
            Assert.That(entries[0].Licences, Is.EqualTo(new[] { "MIT" }));
            Assert.That(entries[0].Vulnerabilities.Select(v => (v.Severity, v.AdvisoryUrl)), Is.EqualTo(new[]
            {
                (VulnerabilitySeverity.High, "https://advisory.example/1"),
                (VulnerabilitySeverity.Critical, "https://advisory.example/2"),
            }));
            Assert.That(entries[1].Licences, Is.EqualTo(new[] { "https://licence.example" }));
            Assert.That(entries[1].Deprecation, Is.EqualTo(new PackageDeprecation(["Legacy"], "use C", "C")).Using<PackageDeprecation>(
                (a, b) => a.Reasons.SequenceEqual(b.Reasons) && a.Message == b.Message && a.Alternative == b.Alternative));
        });
    }

    [Test]
    public void RegistrationJson_WithMoreEntriesThanTheBound_FailsAsMalformed()
    {
        var json = new StringBuilder("{\"items\":[{\"items\":[");
        for (var i = 0; i <= RegistrationJson.MaxEntries; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("{\"catalogEntry\":{\"id\":\"A\",\"version\":\"1.0.").Append(i).Append("\"}}");
        }

        json.Append("]}]}");

        Assert.ThrowsAsync<InvalidDataException>(() =>
            RegistrationJson.ReadIndexAsync(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())), CancellationToken.None));
    }
}

internal static class StreamCounting
{
    public static async Task<long> CopyToCountAsync(this Stream stream)
    {
        var buffer = new byte[64];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }
}
