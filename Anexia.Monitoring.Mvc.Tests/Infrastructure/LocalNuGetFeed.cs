using System.Collections.Concurrent;
using System.Net;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>What the feed does to the requests it receives.</summary>
public enum FeedFault
{
    None,
    Status500,
    Hang,
    ResetConnection,
    MalformedJson,
}

/// <summary>
/// A real NuGet v3 feed on 127.0.0.1 (Kestrel, random port) serving fixture packages: service index,
/// registrations (inline or paged) and flat-container nuspecs. Switches add latency and faults; every request
/// is counted. Used by the tests and by the benchmark; never reaches beyond loopback.
/// </summary>
internal sealed class LocalNuGetFeed : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, FeedPackage> _packages;
    private readonly ConcurrentDictionary<string, int> _requestsByPath = new(StringComparer.OrdinalIgnoreCase);
    private int _requests;
    private int _unauthorized;
    private readonly ConcurrentQueue<string> _authorizations = new();

    private LocalNuGetFeed(WebApplication app, IEnumerable<FeedPackage> packages)
    {
        _app = app;
        _packages = packages.ToDictionary(p => p.Id.ToLowerInvariant());
    }

    /// <summary>The service index URL, to configure as a package source.</summary>
    public string ServiceIndexUrl => BaseUrl + "/v3/index.json";

    public string BaseUrl { get; private set; } = string.Empty;

    /// <summary>Delay before every answer.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>The fault applied to every request.</summary>
    public FeedFault Fault { get; set; }

    /// <summary>When set, the service index offers NuGet's VulnerabilityInfo resource with these advisories.</summary>
    public IReadOnlyList<FeedAdvisory>? Advisories { get; set; }

    /// <summary>When set, the vulnerability index answers 500 (the rest of the feed works).</summary>
    public bool VulnerabilityIndexFails { get; set; }

    /// <summary>
    /// Package ids (any case) whose registration index is a valid registration of that id, streamed (never held in
    /// memory) to this many bytes: one page of leaves, each padded with a 4 KB description.
    /// </summary>
    public ConcurrentDictionary<string, long> HugeRegistrations { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Package ids (lower case) whose registration answers 404 although the feed has them.</summary>
    public ConcurrentDictionary<string, bool> NotFound { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When set, every request must carry <c>Authorization: Basic</c> with this user name and password, as a private
    /// feed demands; others get 401 with a Basic challenge.
    /// </summary>
    public (string User, string Password)? RequiredCredentials { get; set; }

    /// <summary>When set, the service index names this registration base instead of the feed's own (another origin, say).</summary>
    public string? RegistrationBaseUrl { get; set; }

    /// <summary>
    /// When set, runs first for every request; true when it answered it. The hostile-feed tests serve their answers
    /// through it.
    /// </summary>
    public Func<HttpContext, Task<bool>>? Intercept { get; set; }

    /// <summary>The <c>Authorization</c> headers of the requests that carried one.</summary>
    public IReadOnlyCollection<string> Authorizations => [.. _authorizations];

    /// <summary>Requests answered 401 for missing or wrong credentials.</summary>
    public int Unauthorized => Volatile.Read(ref _unauthorized);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Every path asked for since the last reset.</summary>
    public IReadOnlyCollection<string> RequestedPaths => [.. _requestsByPath.Keys];

    public int RequestsTo(string pathPart) => _requestsByPath.Where(p => p.Key.Contains(pathPart, StringComparison.OrdinalIgnoreCase)).Sum(p => p.Value);

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _requests, 0);
        _requestsByPath.Clear();
    }

    /// <summary>Starts the feed on 127.0.0.1, on <paramref name="port"/> or else a free port.</summary>
    public static async Task<LocalNuGetFeed> StartAsync(IEnumerable<FeedPackage> packages, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var feed = new LocalNuGetFeed(app, packages);
        app.Run(feed.HandleAsync);
        await app.StartAsync();
        feed.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
        return feed;
    }

    /// <summary>A loopback port that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        Interlocked.Increment(ref _requests);
        _requestsByPath.AddOrUpdate(path, 1, (_, n) => n + 1);

        if (context.Request.Headers.Authorization.Count > 0)
        {
            _authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
        }

        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, context.RequestAborted);
        }

        if (Intercept is { } intercept && await intercept(context))
        {
            return;
        }

        if (RequiredCredentials is var (user, password))
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
            if (context.Request.Headers.Authorization.ToString() != expected)
            {
                Interlocked.Increment(ref _unauthorized);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"private feed\"";
                return;
            }
        }

        switch (Fault)
        {
            case FeedFault.Status500:
                context.Response.StatusCode = 500;
                return;
            case FeedFault.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case FeedFault.ResetConnection:
                context.Abort();
                return;
            case FeedFault.MalformedJson:
                await WriteAsync(context, "application/json", "{\"items\": [ {\"@id\": ");
                return;
        }

        var segments = path.Trim('/').Split('/');
        switch (segments)
        {
            case ["v3", "index.json"]:
                await WriteJsonAsync(context, ServiceIndex());
                return;
            case ["v3", "vulnerabilities", "index.json"] when Advisories is not null:
                if (VulnerabilityIndexFails)
                {
                    context.Response.StatusCode = 500;
                    return;
                }

                await WriteAsync(context, "application/json", VulnerabilityIndex().ToJsonString());
                return;
            case ["v3", "vulnerabilities", var file] when Advisories is not null && file is "base.json" or "update.json":
                await WriteJsonAsync(context, VulnerabilityFile(update: file == "update.json"));
                return;
            case ["v3", "registration", var id, "index.json"] when HugeRegistrations.TryGetValue(id, out var size):
                await WriteHugeRegistrationAsync(context, id, size);
                return;
            case ["v3", "registration", var id, "index.json"] when Find(id) is { } package:
                await WriteJsonAsync(context, RegistrationIndex(package));
                return;
            case ["v3", "registration", var id, "page", "0.json"] when Find(id) is { } package:
                await WriteJsonAsync(context, RegistrationPage(package, withAddress: false));
                return;
            case ["v3", "flatcontainer", var id, var version, var file] when file.EndsWith(".nuspec", StringComparison.Ordinal)
                && Find(id) is { } package
                && package.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase)) is { } feedVersion:
                await WriteAsync(context, "application/xml", Nuspec(package, feedVersion));
                return;
            default:
                context.Response.StatusCode = 404;
                return;
        }
    }

    private static async Task WriteHugeRegistrationAsync(HttpContext context, string id, long size)
    {
        context.Response.ContentType = "application/json";
        var body = context.Response.Body;
        var aborted = context.RequestAborted;
        var padding = new string('x', 4096);
        long written = 0;
        async Task WriteAsync(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            await body.WriteAsync(bytes, aborted);
            written += bytes.Length;
        }

        try
        {
            await WriteAsync("{\"count\":1,\"items\":[{\"@id\":\"page0\",\"items\":[");
            for (var i = 0; written < size; i++)
            {
                await WriteAsync((i == 0 ? "" : ",")
                    + $"{{\"catalogEntry\":{{\"id\":\"{id}\",\"version\":\"1.0.{i}\",\"licenseExpression\":\"MIT\",\"description\":\"{padding}\"}}}}");
            }

            await WriteAsync("]}]}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client stopped reading (over its limit): nothing more to send.
        }
    }

    private FeedPackage? Find(string id) =>
        NotFound.ContainsKey(id) ? null : _packages.GetValueOrDefault(id.ToLowerInvariant());

    private JsonObject ServiceIndex()
    {
        var resources = new JsonArray(
            new JsonObject { ["@id"] = RegistrationBaseUrl ?? BaseUrl + "/v3/registration/", ["@type"] = "RegistrationsBaseUrl/3.6.0" },
            new JsonObject { ["@id"] = BaseUrl + "/v3/flatcontainer/", ["@type"] = "PackageBaseAddress/3.0.0" });
        if (Advisories is not null)
        {
            resources.Add(new JsonObject { ["@id"] = BaseUrl + "/v3/vulnerabilities/index.json", ["@type"] = "VulnerabilityInfo/6.7.0" });
        }

        return new JsonObject { ["version"] = "3.0.0", ["resources"] = resources };
    }

    private JsonArray VulnerabilityIndex() => new(
        new JsonObject { ["@name"] = "base", ["@id"] = BaseUrl + "/v3/vulnerabilities/base.json", ["@updated"] = "2026-11-01T00:00:00Z" },
        new JsonObject { ["@name"] = "update", ["@id"] = BaseUrl + "/v3/vulnerabilities/update.json", ["@updated"] = "2026-11-20T00:00:00Z", ["comment"] = "since base" });

    private JsonObject VulnerabilityFile(bool update)
    {
        var file = new JsonObject();
        foreach (var group in (Advisories ?? []).Where(a => a.InUpdateFile == update).GroupBy(a => a.PackageId.ToLowerInvariant()))
        {
            file[group.Key] = new JsonArray([.. group.Select(a => (JsonNode)new JsonObject
            {
                ["url"] = a.Url,
                ["severity"] = a.Severity,
                ["versions"] = a.Versions,
            })]);
        }

        return file;
    }

    private JsonObject RegistrationIndex(FeedPackage package)
    {
        var lowerId = package.Id.ToLowerInvariant();
        JsonObject page = package.Paged
            ? new JsonObject
            {
                ["@id"] = $"{BaseUrl}/v3/registration/{lowerId}/page/0.json",
                ["count"] = package.Versions.Length,
                ["lower"] = package.Versions[0].Version,
                ["upper"] = package.Versions[^1].Version,
            }
            : RegistrationPage(package, withAddress: true);
        return new JsonObject { ["count"] = 1, ["items"] = new JsonArray(page) };
    }

    private JsonObject RegistrationPage(FeedPackage package, bool withAddress)
    {
        var lowerId = package.Id.ToLowerInvariant();
        var leaves = new JsonArray();
        foreach (var version in package.Versions)
        {
            leaves.Add(Leaf(package.Id, version));
        }

        if (package.ForeignEntryId is { } foreign)
        {
            leaves.Add(Leaf(foreign, new FeedVersion("999.0.0", LicenseExpression: "Foreign")));
        }

        var page = new JsonObject
        {
            ["count"] = leaves.Count,
            ["lower"] = package.Versions[0].Version,
            ["upper"] = package.Versions[^1].Version,
            ["items"] = leaves,
        };
        if (withAddress)
        {
            page["@id"] = $"{BaseUrl}/v3/registration/{lowerId}/index.json#page/0";
        }

        return page;
    }

    private JsonObject Leaf(string id, FeedVersion version)
    {
        var lowerId = id.ToLowerInvariant();
        var entry = new JsonObject
        {
            ["@id"] = $"{BaseUrl}/v3/catalog/{lowerId}.{version.Version}.json",
            ["id"] = id,
            ["version"] = version.Version,
            ["listed"] = version.Listed,
            ["published"] = version.Listed ? "2025-01-01T00:00:00+00:00" : "1900-01-01T00:00:00+00:00",
        };
        if (version.LicenseExpression is not null)
        {
            entry["licenseExpression"] = version.LicenseExpression;
        }

        if (version.LicenseUrl is not null)
        {
            entry["licenseUrl"] = version.LicenseUrl;
        }

        if (version.Vulnerabilities is not null)
        {
            entry["vulnerabilities"] = new JsonArray([.. version.Vulnerabilities.Select(v => (JsonNode)new JsonObject
            {
                ["advisoryUrl"] = v.AdvisoryUrl,
                ["severity"] = v.Severity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })]);
        }

        if (version.Deprecation is { } deprecation)
        {
            var declared = new JsonObject { ["reasons"] = new JsonArray([.. deprecation.Reasons.Select(r => (JsonNode)JsonValue.Create(r))]) };
            if (deprecation.Message is not null)
            {
                declared["message"] = deprecation.Message;
            }

            if (deprecation.AlternateId is not null)
            {
                declared["alternatePackage"] = new JsonObject { ["id"] = deprecation.AlternateId, ["range"] = "*" };
            }

            entry["deprecation"] = declared;
        }

        return new JsonObject
        {
            ["@id"] = $"{BaseUrl}/v3/registration/{lowerId}/{version.Version.ToLowerInvariant()}.json",
            ["catalogEntry"] = entry,
            ["packageContent"] = $"{BaseUrl}/v3/flatcontainer/{lowerId}/{version.Version.ToLowerInvariant()}/{lowerId}.{version.Version.ToLowerInvariant()}.nupkg",
        };
    }

    private static string Nuspec(FeedPackage package, FeedVersion version)
    {
        var license = version.NuspecLicense is null ? string.Empty : $"<license type=\"expression\">{SecurityElement.Escape(version.NuspecLicense)}</license>";
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{SecurityElement.Escape(package.Id)}</id>
                <version>{SecurityElement.Escape(version.Version)}</version>
                <authors>fixture</authors>
                <description>fixture</description>
                {license}
              </metadata>
            </package>
            """;
    }

    private static Task WriteJsonAsync(HttpContext context, JsonObject json) => WriteAsync(context, "application/json", json.ToJsonString());

    private static async Task WriteAsync(HttpContext context, string contentType, string body)
    {
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body), context.RequestAborted);
    }
}
