using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary><c>SuppressedAdvisories</c>: a suppressed advisory stays listed, marked, and raises no <c>WARNING:</c> line.</summary>
[TestFixture]
public sealed class SuppressionTests
{
    private const string ByUrl = "https://github.com/advisories/GHSA-5crp-9r3c-p9vr";
    private const string ById = "https://github.com/advisories/GHSA-7jgj-8wvc-jh57";
    private const string Kept = "https://github.com/advisories/GHSA-qqqq-2222-3333";

    private static readonly InstalledPackage[] Installed = [new("Fixture.Vulnerable", "1.0.0"), new("Fixture.Other", "1.0.0")];

    private LocalNuGetFeed _feed = null!;

    [SetUp]
    public async Task StartFeed() => _feed = await LocalNuGetFeed.StartAsync(
    [
        new FeedPackage("Fixture.Vulnerable", [new("1.0.0", Vulnerabilities: [new(3, ByUrl), new(2, ById), new(1, Kept)])]),
        new FeedPackage("Fixture.Other", [new("1.0.0", Vulnerabilities: [new(2, ById)])]),
    ]);

    [TearDown]
    public async Task StopFeed() => await _feed.DisposeAsync();

    [TestCase("ANX_MONITORING_SUPPRESSED_ADVISORIES", ByUrl + "/; ghsa-7JGJ-8wvc-jh57 ;")]
    [TestCase("AnxMonitoring:SuppressedAdvisories:0", ByUrl)]
    public async Task Suppressed_ByAddressOrGhsaId_IsMarkedAndRaisesNoWarning(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY"] = "low", [key] = value };
        if (key.StartsWith("AnxMonitoring:", StringComparison.Ordinal))
        {
            settings["AnxMonitoring:SuppressedAdvisories:1"] = "GHSA-7jgj-8wvc-jh57";
        }

        await using var host = await StartAsync(_feed.ServiceIndexUrl, settings, installed: Installed);

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());
        using var up = await host.GetUpAsync();

        Assert.That(
            Module(root, "Fixture.Vulnerable").GetProperty("installed_version_vulnerabilities").EnumerateArray()
                .Select(v => (v.GetProperty("advisory_url").GetString(), v.GetProperty("suppressed").GetBoolean())),
            Is.EqualTo(new[] { (ByUrl, true), (ById, true), (Kept, false) }));
        Assert.That(Module(root, "Fixture.Other").GetProperty("installed_version_vulnerabilities")[0].GetProperty("suppressed").GetBoolean(), Is.True);
        Assert.That(await up.Content.ReadAsStringAsync(), Is.EqualTo($"WARNING: Fixture.Vulnerable 1.0.0 has a known moderate vulnerability ({Kept})"));
    }

    [Test]
    public async Task NothingSuppressed_EveryEntryCarriesSuppressedFalse()
    {
        await using var host = await StartAsync(_feed.ServiceIndexUrl, installed: Installed);

        var root = await ReadJsonAsync(await host.GetCompleteModulesAsync());

        Assert.That(
            root.GetProperty("modules").EnumerateArray().SelectMany(m => m.GetProperty("installed_version_vulnerabilities").EnumerateArray())
                .Select(v => v.GetProperty("suppressed").GetBoolean()).ToList(),
            Has.Count.EqualTo(4).And.All.False);
    }

    [Test]
    public async Task VulnerableGauge_DoesNotCountSuppressedAdvisories()
    {
        using var capture = new TelemetryCapture();
        await using var host = await StartAsync(_feed.ServiceIndexUrl, new() { ["ANX_MONITORING_SUPPRESSED_ADVISORIES"] = $"{ByUrl};{ById}" }, installed: Installed);
        capture.OnlyFrom(host.Services);

        (await host.GetCompleteModulesAsync()).Dispose();
        capture.ObserveGauges();
        var vulnerable = capture.Of("anxmonitoring.packages.vulnerable").ToDictionary(m => (string)m.Tags["severity"]!, m => m.Value);

        Assert.That((vulnerable["critical"], vulnerable["high"], vulnerable["moderate"]), Is.EqualTo((0, 0, 1)), "only Kept, a moderate one, counts");
    }

    [TestCase("https://github.com/advisories/GHSA-5crp-9r3c-p9vr", "GHSA-5crp-9r3c-p9vr")]
    [TestCase("https://github.com/advisories/GHSA-5crp-9r3c-p9vr/", "GHSA-5crp-9r3c-p9vr")]
    [TestCase("https://advisories.example.test/GHSA-high", null)]
    [TestCase("https://msrc.example/CVE-2026-0001", null)]
    public void IdOf_IsTheGhsaIdAtTheEndOfTheAddress(string url, string? id) =>
        Assert.That(AdvisorySuppression.IdOf(url), Is.EqualTo(id));
}
