using System.Net;
using System.Text.Json.Nodes;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Json.Schema;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary><c>/anxapi/v1/sbom</c>: a CycloneDX 1.6 document, validated against the official schema (vendored under Schemas/CycloneDX).</summary>
[TestFixture]
public sealed class SbomTests
{
    private const string Advisory = "https://github.com/advisories/GHSA-5crp-9r3c-p9vr";
    private const string SuppressedAdvisory = "https://github.com/advisories/GHSA-7jgj-8wvc-jh57";
    private const string Sha512 = "sha512-" + "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    private static readonly InstalledPackage[] Installed =
    [
        new("Fixture.App.Direct", "1.0.0") { DependsOn = ["Fixture.Transitive"], Sha512 = Sha512 },
        new("Fixture.Transitive", "2.1.0") { Direct = false, RequiredBy = ["Fixture.App.Direct"] },
        new("Fixture.UrlLicence", "3.0.0"),
    ];

    private LocalNuGetFeed _feed = null!;
    private LocalReleaseMetadata _metadata = null!;

    [SetUp]
    public async Task Start()
    {
        _feed = await LocalNuGetFeed.StartAsync(
        [
            new FeedPackage("Fixture.App.Direct", [new("1.0.0", LicenseExpression: "MIT OR Apache-2.0", Vulnerabilities: [new(2, Advisory), new(0, SuppressedAdvisory)])]),
            new FeedPackage("Fixture.Transitive", [new("2.1.0", LicenseExpression: "MIT", Vulnerabilities: [new(3, Advisory)]), new("2.2.0")]),
            new FeedPackage("Fixture.UrlLicence", [new("3.0.0", LicenseUrl: "https://licences.example.test/eula.html")]),
        ]);
        _metadata = await LocalReleaseMetadata.StartAsync();
        _metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(1), true, "CVE-2026-0101"));
    }

    [TearDown]
    public async Task Stop()
    {
        await _feed.DisposeAsync();
        await _metadata.DisposeAsync();
    }

    [Test]
    public async Task Sbom_IsValidCycloneDx16WithTheGraphLicencesHashesAndAdvisories()
    {
        await using var host = await StartHostAsync();
        (await host.GetCompleteModulesAsync()).Dispose();

        var bom = await ReadSbomAsync(await host.Client.GetAsync("/anxapi/v1/sbom?access_token=" + MonitoringTestHost.Token));

        Assert.That(bom["bomFormat"]!.GetValue<string>(), Is.EqualTo("CycloneDX"));
        Assert.That(bom["specVersion"]!.GetValue<string>(), Is.EqualTo("1.6"));
        var application = bom["metadata"]!["component"]!;
        Assert.That((application["type"]!.GetValue<string>(), application["name"]!.GetValue<string>()), Is.EqualTo(("application", "TestApplication")));
        Assert.That(bom["metadata"]!["tools"]!["components"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("Anexia.Monitoring.Mvc"));

        var direct = Component(bom, "pkg:nuget/Fixture.App.Direct@1.0.0");
        Assert.That(direct["type"]!.GetValue<string>(), Is.EqualTo("library"));
        Assert.That(direct["purl"]!.GetValue<string>(), Is.EqualTo("pkg:nuget/Fixture.App.Direct@1.0.0"));
        Assert.That(direct["licenses"]!.ToJsonString(), Is.EqualTo("""[{"expression":"MIT OR Apache-2.0"}]"""));
        Assert.That(direct["hashes"]!.ToJsonString(), Is.EqualTo($$"""[{"alg":"SHA-512","content":"{{string.Concat(Enumerable.Range(0, 64).Select(i => i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))}}"}]"""));
        Assert.That(Component(bom, "pkg:nuget/Fixture.UrlLicence@3.0.0")["licenses"]!.ToJsonString(), Is.EqualTo(
            """[{"license":{"name":"Unknown - See URL","url":"https://licences.example.test/eula.html"}}]"""));

        var frameworks = bom["components"]!.AsArray().Where(c => c!["type"]!.GetValue<string>() == "framework").ToList();
        Assert.That(frameworks.Select(f => (f!["name"]!.GetValue<string>(), f["version"]!.GetValue<string>())), Is.EquivalentTo(new[]
        {
            ("Microsoft.NETCore.App", Environment.Version.ToString()),
            ("Microsoft.AspNetCore.App", RuntimeVersions.Framework),
        }));

        var dependencies = bom["dependencies"]!.AsArray();
        Assert.That(dependencies[0]!["ref"]!.GetValue<string>(), Is.EqualTo(application["bom-ref"]!.GetValue<string>()), "the graph starts at the application");
        Assert.That(DependsOn(dependencies[0]!), Does.Contain("pkg:nuget/Fixture.App.Direct@1.0.0").And.Not.Contain("pkg:nuget/Fixture.Transitive@2.1.0"));
        Assert.That(DependsOn(dependencies.Single(d => d!["ref"]!.GetValue<string>() == "pkg:nuget/Fixture.App.Direct@1.0.0")!), Is.EqualTo(new[] { "pkg:nuget/Fixture.Transitive@2.1.0" }));
        var known = bom["components"]!.AsArray().Select(c => c!["bom-ref"]!.GetValue<string>()).Append(application["bom-ref"]!.GetValue<string>()).ToHashSet();
        Assert.That(dependencies.SelectMany(d => DependsOn(d!).Append(d!["ref"]!.GetValue<string>())).Distinct(), Is.SubsetOf(known), "every reference names a component");

        var vulnerabilities = bom["vulnerabilities"]!.AsArray();
        var shared = vulnerabilities.Single(v => v!["id"]!.GetValue<string>() == "GHSA-5crp-9r3c-p9vr")!;
        Assert.That(Affects(shared), Is.EquivalentTo(new[] { "pkg:nuget/Fixture.App.Direct@1.0.0", "pkg:nuget/Fixture.Transitive@2.1.0" }), "one entry per advisory");
        Assert.That(shared["ratings"]![0]!["severity"]!.GetValue<string>(), Is.EqualTo("critical"));
        Assert.That(shared["analysis"], Is.Null);
        var suppressed = vulnerabilities.Single(v => v!["id"]!.GetValue<string>() == "GHSA-7jgj-8wvc-jh57")!;
        Assert.That(suppressed["analysis"]!["state"]!.GetValue<string>(), Is.EqualTo("not_affected"));
        Assert.That(suppressed["ratings"]![0]!["severity"]!.GetValue<string>(), Is.EqualTo("low"));
        var runtime = vulnerabilities.Single(v => v!["id"]!.GetValue<string>() == "CVE-2026-0101")!;
        Assert.That(Affects(runtime), Is.EqualTo(new[] { frameworks.Single(f => f!["name"]!.GetValue<string>() == "Microsoft.NETCore.App")!["bom-ref"]!.GetValue<string>() }));
        Assert.That(Affects(vulnerabilities.First()!.AsObject()), Is.SubsetOf(known));
    }

    [Test]
    public async Task Sbom_OfThisTestProjectsRealManifest_IsValid()
    {
        await using var host = await MonitoringTestHost.StartAsync(withIdentityDatabase: false);

        var bom = await ReadSbomAsync(await host.Client.GetAsync("/anxapi/v1/sbom/?access_token=" + MonitoringTestHost.Token));

        Assert.That(bom["metadata"]!["component"]!["name"]!.GetValue<string>(), Is.EqualTo("Anexia.Monitoring.Mvc.Tests"));
        Assert.That(Component(bom, "project:Anexia.Monitoring.Mvc@" + bom["components"]!.AsArray()
            .Single(c => c!["name"]!.GetValue<string>() == "Anexia.Monitoring.Mvc")!["version"]!.GetValue<string>())["type"]!.GetValue<string>(), Is.EqualTo("library"));
        Assert.That(bom["components"]!.AsArray().Count(c => c!["hashes"] is not null), Is.GreaterThan(50), "the manifest's package hashes");
    }

    [Test]
    public async Task Sbom_WithoutTheToken_Is401WithTheSameHeaders()
    {
        await using var host = await StartHostAsync();

        using var response = await host.Client.GetAsync("/anxapi/v1/sbom");
        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/anxapi/v1/sbom?access_token=" + MonitoringTestHost.Token));
        using var post = await host.Client.PostAsync("/anxapi/v1/sbom?access_token=" + MonitoringTestHost.Token, null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await head.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    /// <summary>Asserts a 200 CycloneDX answer, validates it against the schema and returns it.</summary>
    internal static async Task<JsonObject> ReadSbomAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/vnd.cyclonedx+json"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            return AssertValid(await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Validates a document against CycloneDX 1.6 (formats asserted too) and returns it.</summary>
    internal static JsonObject AssertValid(string json)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        var result = Schema.Value.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        Assert.That(
            result.IsValid,
            Is.True,
            () => string.Join("\n", (result.Details ?? []).Where(d => d.HasErrors).Take(20)
                .Select(d => $"{d.InstanceLocation} ({d.EvaluationPath}): {string.Join("; ", d.Errors!.Values)}")));
        return document;
    }

    private static JsonSchema LoadSchema()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Schemas", "CycloneDX");
        foreach (var part in new[] { "spdx.schema.json", "jsf-0.82.schema.json" })
        {
            SchemaRegistry.Global.Register(JsonSchema.FromFile(Path.Combine(folder, part)));
        }

        return JsonSchema.FromFile(Path.Combine(folder, "bom-1.6.schema.json"));
    }

    private static JsonNode Component(JsonObject bom, string bomRef) =>
        bom["components"]!.AsArray().Single(c => c!["bom-ref"]!.GetValue<string>() == bomRef)!;

    private static IEnumerable<string> DependsOn(JsonNode dependency) =>
        dependency["dependsOn"]?.AsArray().Select(d => d!.GetValue<string>()) ?? [];

    private static IEnumerable<string> Affects(JsonNode vulnerability) =>
        vulnerability["affects"]!.AsArray().Select(a => a!["ref"]!.GetValue<string>());

    private Task<MonitoringTestHost> StartHostAsync() => ModulesHost.StartAsync(
        _feed.ServiceIndexUrl,
        new()
        {
            ["AnxMonitoring:RuntimeReleasesIndex"] = _metadata.IndexUrl,
            ["AnxMonitoring:SuppressedAdvisories:0"] = "GHSA-7jgj-8wvc-jh57",
        },
        Installed);
}
