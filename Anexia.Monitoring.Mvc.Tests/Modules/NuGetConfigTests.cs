using System.Text.Json;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Anexia.Monitoring.Mvc.Tests.Infrastructure.ModulesHost;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>
/// <c>UseNuGetConfig</c> end to end: a NuGet.Config beside the application names a private feed on loopback that
/// demands a password, and a second feed; package source mapping decides which one is asked for which package.
/// The NuGet.Config clears the sources of the user's and the machine's configuration, so nothing leaves loopback.
/// </summary>
[TestFixture]
public sealed class NuGetConfigTests
{
    private const string User = "monitoring";
    private const string Password = "pr1vate-feed-secret";

    private LocalNuGetFeed _private = null!;
    private LocalNuGetFeed _mirror = null!;
    private DirectoryInfo _root = null!;
    private DirectoryInfo _emptySource = null!;

    [SetUp]
    public async Task StartFeeds()
    {
        // The private feed has the company's package; the other feed has a package of the same id with a higher
        // version, as someone squatting the name on a public feed would publish it.
        _private = await LocalNuGetFeed.StartAsync([new FeedPackage("Contoso.Internal", [new("1.0.0", LicenseExpression: "MIT"), new("1.4.0", LicenseExpression: "MIT")])]);
        _private.RequiredCredentials = (User, Password);
        _mirror = await LocalNuGetFeed.StartAsync(
        [
            new FeedPackage("Contoso.Internal", [new("99.0.0", LicenseExpression: "MIT")]),
            new FeedPackage("Fixture.Public", [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "MIT")]),
        ]);
        _root = Directory.CreateTempSubdirectory("anx-nuget-config-");
        _emptySource = Directory.CreateTempSubdirectory("anx-empty-source-");
    }

    [TearDown]
    public async Task StopFeeds()
    {
        await _private.DisposeAsync();
        await _mirror.DisposeAsync();
        _root.Delete(recursive: true);
        _emptySource.Delete(recursive: true);
    }

    [Test]
    public async Task PrivateFeed_WithCredentialsInNuGetConfig_IsAskedWithThem()
    {
        WriteNuGetConfig(credentials: true, mapping: true);
        await using var host = await StartAsync();

        var module = Module(await ReadJsonAsync(await host.GetModulesAsync()), "Contoso.Internal");

        Assert.Multiple(() =>
        {
            Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo("1.4.0"));
            Assert.That(Licences(module), Is.EqualTo(new[] { "MIT" }));
            Assert.That(_private.RequestsTo("/v3/registration/contoso.internal/"), Is.GreaterThan(0));
            Assert.That(host.Logs.Entries.Where(e => e.ToString().Contains(Password, StringComparison.Ordinal)), Is.Empty,
                "the feed's password is never logged");
        });
    }

    [Test]
    public async Task PrivateFeed_WhoseServiceIndexNamesAnotherOrigin_NeverSendsItsCredentialsThere()
    {
        WriteNuGetConfig(credentials: true, mapping: true);
        // The private feed's service index sends registrations to the other feed (another port: another origin),
        // which asks for credentials as a phishing feed would.
        _private.RegistrationBaseUrl = _mirror.BaseUrl + "/v3/registration/";
        _mirror.RequiredCredentials = (User, Password);
        await using var host = await StartAsync();

        var module = Module(await ReadJsonAsync(await host.GetModulesAsync()), "Contoso.Internal");
        var basic = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"));

        Assert.Multiple(() =>
        {
            Assert.That(_private.RequestsTo("/v3/index.json"), Is.GreaterThan(0));
            Assert.That(_private.Authorizations, Does.Contain(basic), "the feed itself gets its credentials");
            Assert.That(_mirror.RequestsTo("/v3/registration/contoso.internal/"), Is.GreaterThan(0), "the other origin was asked");
            Assert.That(_mirror.Authorizations, Does.Not.Contain(basic), "but never with the feed's credentials");
            Assert.That(module.GetProperty("newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null), "it refused, so the package is unknown");
        });
    }

    [Test]
    public async Task PrivateFeed_WithoutCredentials_LeavesThePackageUnknown_AndTheAnswerStill200()
    {
        WriteNuGetConfig(credentials: false, mapping: true);
        await using var host = await StartAsync();

        using var response = await host.GetModulesAsync();
        var module = Module(await ReadJsonAsync(response), "Contoso.Internal");

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
            Assert.That(module.GetProperty("newest_version").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(_private.Unauthorized, Is.GreaterThan(0), "the private feed refused the request");
            Assert.That(_mirror.RequestsTo("contoso.internal"), Is.Zero, "mapping keeps the id away from the other feed even then");
            Assert.That(
                host.Logs.Entries.Where(e => e.EventId.Name == "PackageSourceFailed" && e.Level == LogLevel.Debug
                    && e.Message.Contains(_private.ServiceIndexUrl, StringComparison.Ordinal)),
                Is.Not.Empty,
                "the failing source is named in the log");
        });
    }

    [Test]
    public async Task SourceMapping_AsksOnlyTheMappedSource_EvenWhenAnotherHasAHigherVersion()
    {
        WriteNuGetConfig(credentials: true, mapping: true);
        await using var host = await StartAsync();

        var root = await ReadJsonAsync(await host.GetModulesAsync());

        Assert.Multiple(() =>
        {
            Assert.That(Module(root, "Contoso.Internal").GetProperty("newest_version").GetString(), Is.EqualTo("1.4.0"),
                "not the squatted 99.0.0 of the other feed");
            Assert.That(_mirror.RequestsTo("contoso.internal"), Is.Zero, "the other feed never hears of the private id");
            Assert.That(Module(root, "Fixture.Public").GetProperty("newest_version").GetString(), Is.EqualTo("2.0.0"));
            Assert.That(_private.RequestsTo("fixture.public"), Is.Zero, "the private feed is asked for its own ids only");
        });
    }

    [Test]
    public async Task WithoutMapping_EverySourceIsAsked_AndTheHighestVersionWins()
    {
        WriteNuGetConfig(credentials: true, mapping: false);
        await using var host = await StartAsync();

        var module = Module(await ReadJsonAsync(await host.GetModulesAsync()), "Contoso.Internal");

        // This is why docs/modules.md recommends package source mapping for private ids.
        Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo("99.0.0"));
    }

    [Test]
    public async Task UnreadableNuGetConfig_LogsAWarning_AndKeepsTheConfiguredSources()
    {
        File.WriteAllText(Path.Combine(_root.FullName, "NuGet.Config"), "<configuration><packageSources><add key=");
        await using var host = await StartAsync(configuredSource: _mirror.ServiceIndexUrl);

        var module = Module(await ReadJsonAsync(await host.GetModulesAsync()), "Fixture.Public");

        Assert.Multiple(() =>
        {
            Assert.That(module.GetProperty("newest_version").GetString(), Is.EqualTo("2.0.0"));
            Assert.That(host.Logs.Entries.Where(e => e.EventId.Name == "NuGetConfigUnreadable" && e.Level == LogLevel.Warning), Has.Exactly(1).Items);
        });
    }

    [Test]
    public async Task Mapping_ALookupContactsOnlyTheSourcesItsPackageMapsTo()
    {
        WriteNuGetConfig(credentials: true, mapping: true);
        var options = new AnxMonitoringOptions { UseNuGetConfig = true };
        options.PackageSources.Add(_emptySource.FullName);
        var registry = new PackageRegistry(
            Options.Create(options),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PackageRegistry>.Instance,
            localPackagesFolder: null,
            nuGetConfigRoot: _root.FullName);

        var info = await registry.LookupAsync("Fixture.Public", "1.0.0", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(info.NewestVersion?.ToNormalizedString(), Is.EqualTo("2.0.0"), "the mirror is asked for what maps to it");
            Assert.That(_private.Requests, Is.Zero, "the private feed, which no looked-up package maps to, is not contacted (nor sent its credentials)");
        });
    }

    private Task<MonitoringTestHost> StartAsync(string? configuredSource = null) =>
        ModulesHost.StartAsync(
            configuredSource ?? _emptySource.FullName,
            new() { ["AnxMonitoring:UseNuGetConfig"] = "true" },
            installed: [new("Contoso.Internal", "1.0.0"), new("Fixture.Public", "1.0.0")],
            services: s => s.AddSingleton(provider => new PackageRegistry(
                provider.GetRequiredService<IOptions<AnxMonitoringOptions>>(),
                provider.GetRequiredService<ILogger<PackageRegistry>>(),
                localPackagesFolder: null,
                nuGetConfigRoot: _root.FullName)));

    private void WriteNuGetConfig(bool credentials, bool mapping)
    {
        var credentialSection = credentials
            ? $"""
              <packageSourceCredentials>
                <contoso>
                  <add key="Username" value="{User}" />
                  <add key="ClearTextPassword" value="{Password}" />
                </contoso>
              </packageSourceCredentials>
              """
            : string.Empty;
        var mappingSection = mapping
            ? """
              <packageSourceMapping>
                <packageSource key="contoso"><package pattern="Contoso.*" /></packageSource>
                <packageSource key="mirror"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              """
            : string.Empty;
        File.WriteAllText(Path.Combine(_root.FullName, "NuGet.Config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="contoso" value="{_private.ServiceIndexUrl}" allowInsecureConnections="true" />
                <add key="mirror" value="{_mirror.ServiceIndexUrl}" allowInsecureConnections="true" />
              </packageSources>
              {credentialSection}
              {mappingSection}
            </configuration>
            """);
    }

    private static string?[] Licences(JsonElement module) => ModulesHost.Licences(module, "newest_version_licences");
}
