using System.Text.Json;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>The running runtime's status from .NET release metadata served on loopback, in modules and up.</summary>
[TestFixture]
public sealed class RuntimeStatusTests
{
    private static readonly InstalledPackage[] Installed = [new("Fixture.Only", "1.0.0")];

    private LocalNuGetFeed _feed = null!;
    private LocalReleaseMetadata _metadata = null!;

    [SetUp]
    public async Task Start()
    {
        _feed = await LocalNuGetFeed.StartAsync([new FeedPackage("Fixture.Only", [new FeedVersion("1.0.0")])]);
        _metadata = await LocalReleaseMetadata.StartAsync();
    }

    [TearDown]
    public async Task Stop()
    {
        await _feed.DisposeAsync();
        await _metadata.DisposeAsync();
    }

    [Test]
    public async Task Modules_SecurityReleasesAfterTheRunningPatch_AreListedWithTheReleaseThatFixedThem()
    {
        MissSecurityReleases();
        await using var host = await StartHostAsync();

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");

        Assert.That(runtime.GetProperty("platform_newest_version").GetString(), Is.EqualTo(LocalReleaseMetadata.Patch(3)));
        Assert.That(runtime.GetProperty("platform_support_phase").GetString(), Is.EqualTo("active"));
        Assert.That(runtime.GetProperty("platform_end_of_support").GetString(), Is.EqualTo("2099-11-10"));
        Assert.That(
            runtime.GetProperty("platform_vulnerabilities").EnumerateArray().Select(v => (v.GetProperty("id").GetString(), v.GetProperty("fixed_in").GetString())),
            Is.EqualTo(new[]
            {
                ("CVE-2026-0003", LocalReleaseMetadata.Patch(1)),
                ("CVE-2026-0004", LocalReleaseMetadata.Patch(1)),
                ("CVE-2026-0005", LocalReleaseMetadata.Patch(3)),
            }),
            "only security releases newer than the running runtime count, not the running one or older ones");
        var first = runtime.GetProperty("platform_vulnerabilities")[0];
        Assert.That(first.GetProperty("advisory_url").GetString(), Is.EqualTo("https://msrc.example/update-guide/vulnerability/CVE-2026-0003"));
        Assert.That(first.GetProperty("suppressed").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Up_MissingSecurityFixes_IsOneWarningNamingThePatchAndTheCves()
    {
        MissSecurityReleases();
        await using var host = await StartHostAsync();
        (await host.GetCompleteModulesAsync()).Dispose();

        using var response = await host.GetUpAsync();

        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(
            $"WARNING: .NET runtime {Environment.Version} misses security fixes: install {LocalReleaseMetadata.Patch(3)} or later (CVE-2026-0003, CVE-2026-0004, CVE-2026-0005)"));
    }

    [Test]
    public async Task Up_StatusNotKnownYet_IsNotWaitedForAndWarnsOnceKnown()
    {
        MissSecurityReleases();
        var release = new TaskCompletionSource();
        _metadata.Intercept = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            return false;
        };
        await using var host = await StartHostAsync(new() { ["AnxMonitoring:UpCacheLifetime"] = "0" });

        var started = System.Diagnostics.Stopwatch.StartNew();
        using var first = await host.GetUpAsync();
        started.Stop();
        release.SetResult();
        await host.Services.GetRequiredService<ModuleLookups>().WhenIdleAsync().WaitAsync(HangGuard);
        using var second = await host.GetUpAsync();

        Assert.That(await first.Content.ReadAsStringAsync(), Is.EqualTo("OK"), "nothing known yet, nothing to report");
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "up does not wait for the release metadata (ModulesDeadline is 5 s, LookupTimeout 15 s)");
        Assert.That(await second.Content.ReadAsStringAsync(), Does.StartWith("WARNING: .NET runtime"));
    }

    [Test]
    public async Task UpAndModules_UpToDateRuntime_HasNoVulnerabilitiesAndUpIsOk()
    {
        await using var host = await StartHostAsync();

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");
        using var up = await host.GetUpAsync();

        Assert.That(runtime.GetProperty("platform_newest_version").GetString(), Is.EqualTo(Environment.Version.ToString()));
        Assert.That(runtime.GetProperty("platform_vulnerabilities").GetArrayLength(), Is.Zero, "the running release's own CVEs are fixed");
        Assert.That(_metadata.RequestsTo("/releases.json"), Is.Zero, "the channel's releases are read only when a newer runtime exists");
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"));
    }

    [Test]
    public async Task Up_ChannelOutOfSupport_WarnsWithTheDate()
    {
        _metadata.SupportPhase = "eol";
        _metadata.EndOfSupport = DateTime.UtcNow.AddDays(-27).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await using var host = await StartHostAsync();
        (await host.GetCompleteModulesAsync()).Dispose();

        using var up = await host.GetUpAsync();

        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo(
            $"WARNING: .NET {LocalReleaseMetadata.Channel} is out of support since {_metadata.EndOfSupport}"));
    }

    [Test]
    public async Task Up_ChannelEndingWithinTheNoticePeriod_WarnsWithTheDaysLeft()
    {
        _metadata.SupportPhase = "maintenance";
        _metadata.EndOfSupport = DateTime.UtcNow.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await using var host = await StartHostAsync();

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");
        using var up = await host.GetUpAsync();

        Assert.That(runtime.GetProperty("platform_support_phase").GetString(), Is.EqualTo("maintenance"));
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo(
            $"WARNING: .NET {LocalReleaseMetadata.Channel} goes out of support on {_metadata.EndOfSupport}, in 30 days"));
    }

    [Test]
    public async Task Up_ChannelEndingLater_IsOk()
    {
        _metadata.EndOfSupport = DateTime.UtcNow.AddDays(200).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await using var host = await StartHostAsync();
        (await host.GetCompleteModulesAsync()).Dispose();

        using var up = await host.GetUpAsync();

        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"));
    }

    [Test]
    public async Task Up_SuppressedCves_RaiseNoWarningAndAreMarkedInModules()
    {
        MissSecurityReleases();
        await using var host = await StartHostAsync(new()
        {
            ["AnxMonitoring:SuppressedAdvisories:0"] = "CVE-2026-0003",
            ["AnxMonitoring:SuppressedAdvisories:1"] = "https://msrc.example/update-guide/vulnerability/CVE-2026-0004",
        });

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");
        using var up = await host.GetUpAsync();

        Assert.That(
            runtime.GetProperty("platform_vulnerabilities").EnumerateArray().Select(v => v.GetProperty("suppressed").GetBoolean()),
            Is.EqualTo(new[] { true, true, false }));
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo(
            $"WARNING: .NET runtime {Environment.Version} misses security fixes: install {LocalReleaseMetadata.Patch(3)} or later (CVE-2026-0005)"));
    }

    [Test]
    public async Task Modules_MetadataDown_AnswersNullAtOnceAndLogsOneWarning()
    {
        _metadata.Intercept = context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.FromResult(true);
        };
        await using var host = await StartHostAsync(new() { ["AnxMonitoring:ModulesFailureCacheLifetime"] = "00:00:01" });

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");
        var askedAtFirst = _metadata.RequestsTo("/releases-index.json");
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        (await host.GetCompleteModulesAsync()).Dispose();
        var asked = _metadata.RequestsTo("/releases-index.json");
        using var up = await host.GetUpAsync();

        foreach (var key in new[] { "platform_newest_version", "platform_support_phase", "platform_end_of_support", "platform_vulnerabilities" })
        {
            Assert.That(runtime.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Null), key);
        }

        Assert.That((askedAtFirst, asked), Is.EqualTo((1, 2)), "the failure is remembered for the failure lifetime, then asked again");
        var warnings = host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.Monitoring.Mvc", StringComparison.Ordinal) && e.Level == LogLevel.Warning).ToList();
        Assert.That(warnings.Select(w => w.Message), Has.Exactly(1).Matches<string>(m => m.Contains("release metadata", StringComparison.Ordinal) && m.Contains("503", StringComparison.Ordinal)));
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"), "an unknown runtime status is no warning");
    }

    [Test]
    public async Task Modules_MetadataHangs_DoesNotDelayTheAnswer()
    {
        var release = new TaskCompletionSource();
        _metadata.Intercept = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            return true;
        };
        await using var host = await StartHostAsync(new() { ["AnxMonitoring:ModulesDeadline"] = "20", ["AnxMonitoring:LookupTimeout"] = "10" });

        var started = System.Diagnostics.Stopwatch.StartNew();
        var root = await ReadJsonAsync(await WaitForPackagesAsync(host));
        started.Stop();
        release.SetResult();

        Assert.That(Module(root, "Fixture.Only").GetProperty("newest_version").GetString(), Is.EqualTo("1.0.0"));
        Assert.That(root.GetProperty("runtime").GetProperty("platform_newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the packages' answer does not wait for the release metadata (its lookup has 10 s)");
    }

    [Test]
    public async Task Modules_OversizedMetadata_IsRefusedAndAnsweredAsNull()
    {
        _metadata.Intercept = async context =>
        {
            if (context.Request.Path != "/releases-index.json")
            {
                return false;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"padding\":\"" + new string('x', 200_000) + "\",\"releases-index\":[]}");
            return true;
        };
        await using var host = await StartHostAsync(new() { ["AnxMonitoring:MaxFeedResponseBytes"] = "65536" });

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");

        Assert.That(runtime.GetProperty("platform_vulnerabilities").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(host.Logs.Entries.Select(e => e.Message), Has.Some.Contains("65536"));
    }

    [Test]
    public async Task Modules_TooManyReleases_FailsTheReadInsteadOfKeepingThem()
    {
        MissSecurityReleases();
        for (var i = 0; i < 5_100; i++)
        {
            _metadata.Releases.Add(new MetadataRelease($"{LocalReleaseMetadata.Channel}.{1000 + i}"));
        }

        await using var host = await StartHostAsync();

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");

        Assert.That(runtime.GetProperty("platform_vulnerabilities").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(host.Logs.Entries.Select(e => e.Message), Has.Some.Contains("more than 5000 items"));
    }

    [Test]
    public async Task ModulesAndUp_AHugeVersionInTheMetadata_IsNotKept()
    {
        var huge = $"{LocalReleaseMetadata.Patch(1)}-{new string('a', 1_000_000)}";
        _metadata.Releases.Add(new MetadataRelease(huge, true, "CVE-2026-0401"));
        await using var host = await StartHostAsync();

        using var response = await host.GetCompleteModulesAsync();
        var body = await response.Content.ReadAsStringAsync();
        using var up = await host.GetUpAsync();

        Assert.That(body, Has.Length.LessThan(100_000), "neither as the newest version nor as fixed_in");
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"));
    }

    [Test]
    public async Task Modules_IndexWithoutTheRunningChannel_IsAFailureThatSaysSo()
    {
        _metadata.Intercept = async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"releases-index":[{"channel-version":"3.1","latest-runtime":"3.1.32","support-phase":"eol"}]}""");
            return true;
        };
        await using var host = await StartHostAsync();

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");

        Assert.That(runtime.GetProperty("platform_support_phase").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(host.Logs.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message),
            Has.One.Contains($"does not list the channel {LocalReleaseMetadata.Channel}"));
    }

    [Test]
    public async Task Lookup_PreviewRuntime_CountsTheReleaseItPrecedesAsNewer()
    {
        var channel = LocalReleaseMetadata.Channel;
        _metadata.Releases.Clear();
        _metadata.Releases.Add(new MetadataRelease($"{channel}.0", true, "CVE-2026-0301"));
        _metadata.Releases.Add(new MetadataRelease($"{channel}.1", true, "CVE-2026-0302"));
        var options = Microsoft.Extensions.Options.Options.Create(new AnxMonitoringOptions { RuntimeReleasesIndex = _metadata.IndexUrl });
        using var releases = new Anexia.Monitoring.Mvc.Modules.Registry.ReleaseMetadata(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Anexia.Monitoring.Mvc.Modules.Registry.ReleaseMetadata>.Instance);

        var info = await releases.LookupAsync($"{channel}.0-rc.2.25502.107", CancellationToken.None);

        Assert.That(info.NewestVersion?.ToNormalizedString(), Is.EqualTo($"{channel}.1"));
        Assert.That(info.Platform!.Vulnerabilities.Select(v => (v.Id, v.FixedIn)), Is.EqualTo(new[] { ("CVE-2026-0301", $"{channel}.0"), ("CVE-2026-0302", $"{channel}.1") }));
    }

    [TestCase("10.0.12", "10.0.12")]
    [TestCase("10.0.12-servicing.26422.108", "10.0.12", TestName = "A release built from source is the release")]
    [TestCase("10.0.0-rc.2.25502.107", "10.0.0-rc.2.25502.107")]
    [TestCase("10.0.0-preview.7.25380.108", "10.0.0-preview.7.25380.108")]
    [TestCase("9.9.9-rc.1", "10.0.0", TestName = "A product version of another release is not believed")]
    [TestCase(null, "10.0.0")]
    public void RunningRelease_KeepsAPreviewsLabelOnly(string? productVersion, string expected) =>
        Assert.That(RuntimeVersions.ReleaseOf(productVersion, new Version(10, 0, expected.StartsWith("10.0.12", StringComparison.Ordinal) ? 12 : 0)), Is.EqualTo(expected));

    [Test]
    public async Task Modules_OneRequestPerLifetime_HoweverManyAnswers()
    {
        MissSecurityReleases();
        await using var host = await StartHostAsync();

        for (var i = 0; i < 5; i++)
        {
            (await host.GetCompleteModulesAsync()).Dispose();
        }

        Assert.That(_metadata.RequestsTo("/releases-index.json"), Is.EqualTo(1));
        Assert.That(_metadata.RequestsTo("/releases.json"), Is.EqualTo(1));
    }

    [Test]
    public async Task Modules_SwitchedOff_AsksNothingAndAnswersNull()
    {
        MissSecurityReleases();
        await using var host = await StartHostAsync(new() { ["AnxMonitoring:RuntimeReleasesIndex"] = string.Empty });

        var runtime = (await ReadJsonAsync(await host.GetCompleteModulesAsync())).GetProperty("runtime");
        using var up = await host.GetUpAsync();

        Assert.That(runtime.GetProperty("platform_newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(_metadata.RequestsTo("/"), Is.Zero);
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo("OK"));
    }

    /// <summary>Security releases before, at and after the running patch; a newer non-security release; another security one.</summary>
    private void MissSecurityReleases()
    {
        _metadata.Releases.Clear();
        if (Environment.Version.Build > 0)
        {
            _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(-1), true, "CVE-2026-0001"));
        }

        _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(0), true, "CVE-2026-0002"));
        _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(1), true, "CVE-2026-0003", "CVE-2026-0004"));
        _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(2)));
        _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(3), true, "CVE-2026-0005"));
    }

    private Task<MonitoringTestHost> StartHostAsync(Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["AnxMonitoring:RuntimeReleasesIndex"] = _metadata.IndexUrl };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return ModulesHost.StartAsync(_feed.ServiceIndexUrl, values, Installed);
    }

    private static async Task<HttpResponseMessage> WaitForPackagesAsync(MonitoringTestHost host)
    {
        var until = DateTime.UtcNow + HangGuard;
        while (true)
        {
            var response = await host.GetModulesAsync();
            var body = await response.Content.ReadAsStringAsync();
            if (!body.Contains("\"newest_version\":null", StringComparison.Ordinal) || DateTime.UtcNow > until)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(20);
        }
    }
}
