using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The first <c>modules</c> answer after a cold start, when the registry is too slow to finish by the deadline. The
/// installed packages are this program's own, read from its deps.json as in any application (the real start-up
/// path), plus fixture packages up to 300, all served by a loopback feed that answers every request after 500 ms,
/// so that the lookups (16 at a time) need about 10 s while <c>ModulesDeadline</c> is its default 5 s. The first request is sent as soon as the host has
/// started. build/first-answer runs it with and without processes burning the cores beside it. Prints one line:
/// <c>first-answer: &lt;seconds&gt; s, deadline &lt;seconds&gt; s, &lt;n&gt; of &lt;m&gt; resolved</c>.
/// </summary>
internal static class DeadlineProbe
{
    public static async Task<int> RunAsync()
    {
        const int PackageCount = 300;
        var own = new DependencyManifestPackages();
        var ownPackages = own.GetPackages() ?? [];
        var installed = ownPackages
            .Concat(Enumerable.Range(0, PackageCount - 1 - ownPackages.Count).Select(i => new InstalledPackage($"Probe.Package{i:D3}", "1.0.0")))
            .ToList();
        var packages = installed
            .Select(p => new FeedPackage(p.Name, [new(p.Version, LicenseExpression: "MIT"), new("999.0.0", LicenseExpression: "MIT")]))
            .Append(new FeedPackage(RuntimeVersions.FrameworkPackageId, [new("99.0.0", LicenseExpression: "MIT")]))
            .ToArray();
        var packageCount = installed.Count + 1;
        await using var feed = await LocalNuGetFeed.StartAsync(packages);
        feed.Latency = TimeSpan.FromMilliseconds(500);

        var started = Stopwatch.StartNew();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<IInstalledPackages>(new OwnAndFixturePackages(own, installed.Skip(ownPackages.Count).ToList()));
        builder.Services.AddControllers().AddAnxMonitoring(o =>
        {
            o.AccessToken = "probe-token";
            o.PackageSources.Add(feed.ServiceIndexUrl);
        });
        var app = builder.Build();
        app.MapControllers();
        await app.StartAsync();
        var deadline = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnxMonitoringOptions>>().Value.ModulesDeadline;
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };

        var watch = Stopwatch.StartNew();
        var body = await http.GetStringAsync("/anxapi/v1/modules?access_token=probe-token");
        var elapsed = watch.Elapsed;
        var unresolved = body.Split("\"newest_version\":null").Length - 1;
        Console.WriteLine(
            $"first-answer: {elapsed.TotalSeconds:F2} s, deadline {deadline.TotalSeconds:F0} s, {packageCount - unresolved} of {packageCount} resolved, " +
            $"start-up {(started.Elapsed - elapsed).TotalSeconds:F2} s");
        await app.StopAsync();
        return 0;
    }

    /// <summary>The program's own packages, read from its deps.json when modules first asks, plus the fixture packages.</summary>
    private sealed class OwnAndFixturePackages(DependencyManifestPackages own, IReadOnlyList<InstalledPackage> fixtures) : IInstalledPackages
    {
        public IReadOnlyList<InstalledPackage>? GetPackages() => [.. (own.GetPackages() ?? []), .. fixtures];
    }
}
