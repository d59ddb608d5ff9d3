// The modules benchmark: 300 fixture packages on a loopback NuGet v3 feed that answers every request after 50 ms.
// Measures the cold first answer against the feed's own capacity (a plain client fetching the same URLs), the warm
// answer's median time, its throughput against a static endpoint of the same size in the same run, and the feed
// requests per package. Loopback only; bounded in time; stops by itself. Its other modes are the hosts and phases
// of build/first-probe (first-probe-host), build/load (load-host), the replicas phase and --hostile.
using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc;
using Anexia.Monitoring.Mvc.Benchmarks;
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

switch (args.FirstOrDefault())
{
    case "first-probe-host":
        return await FirstProbeHost.RunAsync(args[1..]);
    case "load-host":
        return await LoadHost.RunAsync(args[1..]);
    case "replicas":
        return await ReplicaBenchmark.RunAsync(args[1..]);
    case "hostile":
        return await HostileAnswers.RunAsync(args[1..]);
}

var PackageCount = args.SkipWhile(a => a != "--packages").Skip(1).Select(int.Parse).FirstOrDefault(300);
const string Token = "bench-token";
var latency = TimeSpan.FromMilliseconds(50);
var throughputDuration = TimeSpan.FromSeconds(args.Contains("--quick") ? 1 : 5);
const int Clients = 16;

var packages = Enumerable.Range(0, PackageCount)
    .Select(i => new FeedPackage($"Bench.Package{i:D3}", [new("1.0.0", LicenseExpression: "MIT"), new("1.1.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "Apache-2.0")]))
    .ToArray();
var installed = packages.Select(p => new InstalledPackage(p.Id, "1.0.0")).ToArray();

// The feed is this process's own Kestrel, warmed first (one plain client asks for the service index and a package the
// library does not look up), so that the feed's own first-use cost is not counted against the library.
var warmUpPackage = new FeedPackage("Bench.WarmUp", [new("1.0.0", LicenseExpression: "MIT")]);
await using var feed = await LocalNuGetFeed.StartAsync([.. packages, warmUpPackage]);
using (var warmUp = new HttpClient())
{
    (await warmUp.GetByteArrayAsync(feed.ServiceIndexUrl)).AsSpan();
    (await warmUp.GetByteArrayAsync($"{feed.BaseUrl}/v3/registration/bench.warmup/index.json")).AsSpan();
}

feed.ResetCounters();
feed.Latency = latency;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
builder.Services.AddControllers().AddAnxMonitoring(o =>
{
    o.AccessToken = Token;
    o.PackageSources.Add(feed.ServiceIndexUrl);
    o.RuntimeReleasesIndex = string.Empty; // loopback only
});
builder.Services.AddSingleton<IInstalledPackages>(new FixedInstalledPackages(installed));
var app = builder.Build();
byte[] staticBody = [];
app.MapGet("/static", () => Results.Bytes(staticBody, "application/json"));
app.MapControllers();

var concurrency = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnxMonitoringOptions>>().Value.LookupConcurrency;
await app.StartAsync();
var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(baseUrl) };
var modulesUrl = $"/anxapi/v1/modules?access_token={Token}";

// 1. First answer (the start-up warm-up is already running; the request shares it).
var first = Stopwatch.StartNew();
var firstBody = await http.GetByteArrayAsync(modulesUrl);
var firstTime = first.Elapsed;
var registrationRequests = feed.RequestsTo("/v3/registration/");

// 1b. The feed's own capacity, side by side: a plain HttpClient fetching the same URLs the library fetched (the
// service index first, then the registrations, as many at a time as the library's lookup concurrency), reading the
// bytes only.
var fetched = feed.RequestedPaths.Where(p => p.Contains("/v3/registration/", StringComparison.OrdinalIgnoreCase)).ToList();
feed.ResetCounters();
var referenceWatch = Stopwatch.StartNew();
using (var reference = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }))
{
    (await reference.GetByteArrayAsync(feed.ServiceIndexUrl)).AsSpan();
    await Parallel.ForEachAsync(fetched, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (path, ct) =>
    {
        // Whatever the status (the framework's reference pack is not on the fixture feed: 404), as the library read it.
        using var response = await reference.GetAsync(feed.BaseUrl + path, ct);
        await response.Content.ReadAsByteArrayAsync(ct);
    });
}

var referenceTime = referenceWatch.Elapsed;
feed.ResetCounters();
var ideal = TimeSpan.FromMilliseconds(Math.Ceiling(PackageCount / (double)concurrency) * latency.TotalMilliseconds);
var unresolved = System.Text.Encoding.UTF8.GetString(firstBody).Split("\"newest_version\":null").Length - 1;

// 2. Warm answer: median of sequential requests.
var body = await http.GetByteArrayAsync(modulesUrl);
staticBody = body;
var samples = new List<double>();
for (var i = 0; i < 2000; i++)
{
    var watch = Stopwatch.StartNew();
    using var response = await http.GetAsync(modulesUrl);
    await response.Content.ReadAsByteArrayAsync();
    samples.Add(watch.Elapsed.TotalMilliseconds);
}

samples.Sort();
var warmMedian = samples[samples.Count / 2];

// 3. Throughput: the same clients against modules and against a static endpoint of the same size.
var modulesRps = await ThroughputAsync(http, modulesUrl, Clients, throughputDuration);
var staticRps = await ThroughputAsync(http, "/static", Clients, throughputDuration);
var warmRequests = feed.RequestsTo("/v3/registration/");

await app.StopAsync();

Console.WriteLine($"modules benchmark: {PackageCount} packages, feed latency {latency.TotalMilliseconds} ms per request, lookup concurrency {concurrency}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"answer size: {body.Length} bytes");
Console.WriteLine();
Console.WriteLine($"{"first answer (cold)",-40}{Ms(firstTime),14}");
Console.WriteLine($"{"  ideal ceil(n/c) x 50 ms",-40}{Ms(ideal),14}");
Console.WriteLine($"{"  feed capacity (plain HttpClient)",-40}{Ms(referenceTime),14}");
Console.WriteLine($"{"  first answer / capacity (<= 1.5)",-40}{firstTime / referenceTime,14:F2}");
Console.WriteLine($"{"  unresolved in first answer",-40}{unresolved,14}");
Console.WriteLine($"{"warm answer, median",-40}{warmMedian,11:F3} ms");
Console.WriteLine($"{"warm throughput",-40}{modulesRps,10:F0} r/s");
Console.WriteLine($"{"static endpoint, same bytes",-40}{staticRps,10:F0} r/s");
Console.WriteLine($"{"  ratio to static (>= 0.5)",-40}{modulesRps / staticRps,14:F2}");
Console.WriteLine($"{"registry requests per package",-40}{registrationRequests / (double)PackageCount,14:F2}");
Console.WriteLine($"{"  more while warm",-40}{warmRequests,14}");
Console.WriteLine();
var met = firstTime / referenceTime <= 1.5 && warmMedian < 1 && modulesRps / staticRps >= 0.5 && unresolved == 0 && warmRequests == 0;
Console.WriteLine(met ? "targets: met" : "targets: NOT met");
return met ? 0 : 1;

static string Ms(TimeSpan time) => $"{time.TotalMilliseconds:F0} ms";

static async Task<double> ThroughputAsync(HttpClient http, string url, int clients, TimeSpan duration)
{
    var count = 0L;
    var until = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        while (until.Elapsed < duration)
        {
            using var response = await http.GetAsync(url);
            await response.Content.ReadAsByteArrayAsync();
            Interlocked.Increment(ref count);
        }
    }));
    return count / until.Elapsed.TotalSeconds;
}
