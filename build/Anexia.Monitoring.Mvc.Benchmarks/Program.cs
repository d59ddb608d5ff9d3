// The modules benchmark: 300 fixture packages on a loopback NuGet v3 feed that answers every request after
// 50 ms. Measures the first answer against the ideal ceil(300 / concurrency) x 50 ms, the warm answer's median
// time, its throughput against a static endpoint of the same size in the same run, the feed requests per package,
// and the same figures for the serial twice-per-package approach of the older .NET package, as a baseline.
// Loopback only; bounded in time; stops by itself. With "first-probe-host" it is instead the host build/first-probe
// starts (FirstProbeHost.cs).
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

if (args.FirstOrDefault() == "first-probe-host")
{
    return await FirstProbeHost.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "load-host")
{
    return await LoadHost.RunAsync(args[1..]);
}

switch (args.FirstOrDefault())
{
    case "feed-host":
        return await ColdCapacity.FeedAsync(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    case "cold-library":
        return await ColdLibrary.RunAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    case "cold-client":
        return await ColdCapacity.ClientAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.FirstOrDefault() == "cold-steps")
{
    return await ColdSteps.RunAsync(args[1]);
}

if (args.FirstOrDefault() == "up-runs")
{
    return await UpRuns.RunAsync();
}

if (args.FirstOrDefault() == "cold-rounds")
{
    return await ColdRounds.RunAsync();
}

if (args.FirstOrDefault() == "replicas")
{
    return await ReplicaBenchmark.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "hostile")
{
    return await HostileAnswers.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "deadline-probe")
{
    return await DeadlineProbe.RunAsync();
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

// The feed is this process's own Kestrel: warmed first (one plain client asks for the service index and a package the
// library does not look up), so that the feed's own first-use cost is not counted against the library, as in
// build/cold-capacity, where the feed runs warmed in a process of its own. What the library's run pays cold is then its
// own code, NuGet.Protocol's and its HTTP client's first use.
var warmUpPackage = new FeedPackage("Bench.WarmUp", [new("1.0.0", LicenseExpression: "MIT")]);
await using var feed = await LocalNuGetFeed.StartAsync([.. packages, warmUpPackage]);
using (var warmUp = new HttpClient())
{
    (await warmUp.GetByteArrayAsync(feed.ServiceIndexUrl)).AsSpan();
    (await warmUp.GetByteArrayAsync($"{feed.BaseUrl}/v3/registration/bench.warmup/index.json")).AsSpan();
}

feed.ResetCounters();
feed.Latency = latency;
var jitMethodsAtStart = System.Runtime.JitInfo.GetCompiledMethodCount();
var jitTimeAtStart = System.Runtime.JitInfo.GetCompilationTime();

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
builder.Services.AddControllers().AddAnxMonitoring(o =>
{
    o.AccessToken = Token;
    o.PackageSources.Add(feed.ServiceIndexUrl);
});
builder.Services.AddSingleton<IInstalledPackages>(new BenchPackages(installed));
var app = builder.Build();
byte[] staticBody = [];
app.MapGet("/static", () => Results.Bytes(staticBody, "application/json"));
app.MapControllers();

// --timeline: when the library's requests to the feed started and ended (a listener on System.Net.Http's activities,
// which costs the run a little; off by default).
var timeline = args.Contains("--timeline") ? new RequestTimeline(feed.BaseUrl) : null;
var concurrency = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnxMonitoringOptions>>().Value.LookupConcurrency;
var started = Stopwatch.StartNew();
var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
await app.StartAsync();
var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(baseUrl) };
var modulesUrl = $"/anxapi/v1/modules?access_token={Token}";

// 1. First answer (the start-up warm-up is already running; the request shares it).
var first = Stopwatch.StartNew();
var firstBody = await http.GetByteArrayAsync(modulesUrl);
var firstTime = first.Elapsed;
var libraryCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
var libraryJitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethodsAtStart;
var libraryJitTime = System.Runtime.JitInfo.GetCompilationTime() - jitTimeAtStart;
var registrationRequests = feed.RequestsTo("/v3/registration/");
var timelineText = timeline is null ? null
    : $"modules asked {(started.Elapsed - firstTime).TotalMilliseconds:F0}, answered {started.Elapsed.TotalMilliseconds:F0}; {timeline.Describe(started)}";
timeline?.Dispose();

// 1b. The feed's own capacity, side by side: a plain HttpClient fetching the same URLs the library fetched (the
// service index first, then the registrations, as many at a time as the library's lookup concurrency), reading the
// bytes only. Its process CPU is the feed's and the client's share; the library's own cost is what its run used more.
var fetched = feed.RequestedPaths.Where(p => p.Contains("/v3/registration/", StringComparison.OrdinalIgnoreCase)).ToList();
feed.ResetCounters();
var cpuBeforeReference = Process.GetCurrentProcess().TotalProcessorTime;
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
var referenceCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBeforeReference;
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

// 4. Baseline: every answer looks each package up serially, twice, with no cache (100 ms per package; skipped with
// --no-baseline, for a quicker look at the other figures).
feed.ResetCounters();
var withBaseline = !args.Contains("--no-baseline");
var baseline = Stopwatch.StartNew();
using (var plain = new HttpClient())
{
    foreach (var package in withBaseline ? packages : [])
    {
        for (var i = 0; i < 2; i++)
        {
            (await plain.GetAsync($"{feed.BaseUrl}/v3/registration/{package.Id.ToLowerInvariant()}/index.json")).Dispose();
        }
    }
}

var baselineTime = baseline.Elapsed;
var baselineRequests = feed.RequestsTo("/v3/registration/");

await app.StopAsync();

Console.WriteLine($"modules benchmark: {PackageCount} packages, feed latency {latency.TotalMilliseconds} ms per request, lookup concurrency {concurrency}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"answer size: {body.Length} bytes");
Console.WriteLine();
Console.WriteLine($"{"",-34}{"this library",16}{"serial x2 baseline",22}");
Console.WriteLine($"{"first answer",-34}{Ms(firstTime),16}{Baseline(Ms(baselineTime)),22}");
Console.WriteLine($"{"  ideal ceil(n/c) x 50 ms",-34}{Ms(ideal),16}");
Console.WriteLine($"{"  ratio to ideal",-34}{firstTime / ideal,16:F2}");
Console.WriteLine($"{"feed capacity (plain HttpClient)",-34}{Ms(referenceTime),16}");
var capacityTarget = PackageCount > 500 ? 1.3 : 1.2;
Console.WriteLine($"{$"  first answer / capacity (<= {capacityTarget})",-34}{firstTime / referenceTime,16:F2}");
Console.WriteLine($"{"CPU per package, library run",-34}{libraryCpu.TotalMilliseconds / PackageCount,13:F2} ms");
Console.WriteLine($"{"  of which JIT",-34}{libraryJitTime.TotalMilliseconds / PackageCount,13:F2} ms ({libraryJitMethods} methods compiled in {libraryJitTime.TotalMilliseconds:F0} ms)");
Console.WriteLine($"{"  without JIT",-34}{(libraryCpu - libraryJitTime).TotalMilliseconds / PackageCount,13:F2} ms");
Console.WriteLine($"{"CPU per package, plain client",-34}{referenceCpu.TotalMilliseconds / PackageCount,13:F2} ms");
Console.WriteLine("  (against an earlier revision, each side in a process of its own: build/cold-capacity --against REVISION)");
if (timelineText is not null)
{
    Console.WriteLine($"  library's feed requests, from the host's start: {timelineText}");
}

Console.WriteLine($"{"  unresolved in first answer",-34}{unresolved,16}");
Console.WriteLine($"{"warm answer, median",-34}{warmMedian,13:F3} ms{Baseline(Ms(baselineTime)),22}");
Console.WriteLine($"{"warm throughput",-34}{modulesRps,12:F0} r/s{Baseline($"{1 / baselineTime.TotalSeconds:F3} r/s"),22}");
Console.WriteLine($"{"static endpoint, same bytes",-34}{staticRps,12:F0} r/s");
Console.WriteLine($"{"  ratio to static (target >= 0.5)",-34}{modulesRps / staticRps,16:F2}");
Console.WriteLine($"{"registry requests per package",-34}{registrationRequests / (double)PackageCount,16:F2}{Baseline($"{baselineRequests / (double)PackageCount:F2}"),22}");
Console.WriteLine($"{"  more while warm",-34}{warmRequests,16}");
Console.WriteLine();
var met = firstTime / referenceTime <= capacityTarget && warmMedian < 1 && modulesRps / staticRps >= 0.5 && unresolved == 0;
Console.WriteLine(met ? "targets: met" : "targets: NOT met");
return met ? 0 : 1;

string Baseline(string figure) => withBaseline ? figure : "skipped";

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
