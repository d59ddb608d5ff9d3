using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>One release of a channel as the release metadata lists it.</summary>
/// <param name="Version">The release (and runtime) version.</param>
/// <param name="Security">Whether it is a security release.</param>
/// <param name="Cves">The CVE ids it fixes.</param>
internal sealed record MetadataRelease(string Version, bool Security = false, params string[] Cves);

/// <summary>
/// The .NET release metadata on 127.0.0.1 (Kestrel, random port), in the format of dotnet/core's
/// <c>releases-index.json</c> and each channel's <c>releases.json</c>: the running runtime's channel with
/// <see cref="Releases"/>, and one older channel that is out of support. Every request is counted.
/// </summary>
internal sealed class LocalReleaseMetadata : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.OrdinalIgnoreCase);

    private LocalReleaseMetadata(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The running runtime, as the library reads it.</summary>
    public static Version Running => Environment.Version;

    /// <summary>The running runtime's channel, such as <c>10.0</c>.</summary>
    public static string Channel => $"{Running.Major}.{Running.Minor}";

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>The index's address, to configure as <c>RuntimeReleasesIndex</c>.</summary>
    public string IndexUrl => BaseUrl + "/releases-index.json";

    /// <summary>The releases of the running channel; by default only the running one, a security release.</summary>
    public List<MetadataRelease> Releases { get; } = [new(Running.ToString(), true, "CVE-2000-0001")];

    public string SupportPhase { get; set; } = "active";

    public string? EndOfSupport { get; set; } = "2099-11-10";

    /// <summary>Runs before the metadata is served; true when it answered the request itself.</summary>
    public Func<HttpContext, Task<bool>>? Intercept { get; set; }

    public int RequestsTo(string pathPart) => _requests.Where(p => p.Key.Contains(pathPart, StringComparison.OrdinalIgnoreCase)).Sum(p => p.Value);

    /// <summary>A patch of the running channel, <paramref name="offset"/> patches from the running one.</summary>
    public static string Patch(int offset) => $"{Running.Major}.{Running.Minor}.{Running.Build + offset}";

    public static async Task<LocalReleaseMetadata> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var metadata = new LocalReleaseMetadata(app);
        app.Run(metadata.ServeAsync);
        await app.StartAsync();
        metadata.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return metadata;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context)
    {
        _requests.AddOrUpdate(context.Request.Path.Value ?? string.Empty, 1, (_, n) => n + 1);
        if (Intercept is { } intercept && await intercept(context))
        {
            return;
        }

        var path = context.Request.Path.Value;
        JsonNode? body = path == "/releases-index.json" ? Index()
            : path == $"/{Channel}/releases.json" ? ChannelReleases()
            : null;
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private string Latest() => Releases.Select(r => NuGet.Versioning.NuGetVersion.Parse(r.Version)).Max()?.ToNormalizedString() ?? Running.ToString();

    private JsonObject Index() => new()
    {
        ["releases-index"] = new JsonArray(
            new JsonObject
            {
                ["channel-version"] = Channel,
                ["latest-release"] = Latest(),
                ["latest-release-date"] = "2026-11-10",
                ["security"] = true,
                ["latest-runtime"] = Latest(),
                ["latest-sdk"] = Latest().Replace($".{NuGet.Versioning.NuGetVersion.Parse(Latest()).Patch}", ".100", StringComparison.Ordinal),
                ["product"] = ".NET",
                ["support-phase"] = SupportPhase,
                ["eol-date"] = EndOfSupport,
                ["release-type"] = "lts",
                ["releases.json"] = $"{BaseUrl}/{Channel}/releases.json",
            },
            new JsonObject
            {
                ["channel-version"] = "3.1",
                ["latest-release"] = "3.1.32",
                ["latest-runtime"] = "3.1.32",
                ["support-phase"] = "eol",
                ["eol-date"] = "2022-12-13",
                ["releases.json"] = $"{BaseUrl}/3.1/releases.json",
            }),
    };

    private JsonObject ChannelReleases() => new()
    {
        ["channel-version"] = Channel,
        ["latest-release"] = Latest(),
        ["latest-runtime"] = Latest(),
        ["support-phase"] = SupportPhase,
        ["eol-date"] = EndOfSupport,
        ["releases"] = new JsonArray([.. Releases.OrderByDescending(r => NuGet.Versioning.NuGetVersion.Parse(r.Version)).Select(r => (JsonNode)new JsonObject
        {
            ["release-date"] = "2026-11-10",
            ["release-version"] = r.Version,
            ["security"] = r.Security,
            ["cve-list"] = new JsonArray([.. r.Cves.Select(id => (JsonNode)new JsonObject
            {
                ["cve-id"] = id,
                ["cve-url"] = $"https://msrc.example/update-guide/vulnerability/{id}",
            })]),
            ["release-notes"] = $"https://example.invalid/{r.Version}.md",
            ["runtime"] = new JsonObject
            {
                ["version"] = r.Version,
                ["version-display"] = r.Version,
                ["files"] = new JsonArray(new JsonObject { ["name"] = "dotnet-runtime-linux-x64.tar.gz", ["hash"] = new string('a', 128) }),
            },
            ["sdk"] = new JsonObject { ["version"] = r.Version.Replace($".{NuGet.Versioning.NuGetVersion.Parse(r.Version).Patch}", ".100", StringComparison.Ordinal) },
        })]),
    };
}
