using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Telemetry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Caching.Distributed;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The memory a host spends on each hostile answer of docs/security.md, each in a fresh process: a host as the README
/// builds it on a loopback feed that answers one way, asked for <c>modules</c> until its lookups are over. Prints the
/// peak working set over the built host's before it starts (its start and modules warm-up included), and what the managed heap still holds after a full
/// collection. Usage: <c>hostile</c> (every scenario, one process each) or <c>hostile &lt;scenario&gt;</c>.
/// Loopback only; each scenario ends by itself within a minute.
/// </summary>
internal static class HostileAnswers
{
    private const int Mebibyte = 1024 * 1024;

    private static readonly string[] Scenarios =
    [
        "vulnerability-files-that-hang", "vulnerability-files-15mib", "nuspecs-15mib", "service-index-15mib",
        "registration-150-pages", "shared-cache-100mb-entries",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["poison", var redisAddress, var source])
        {
            // The hostile writer is a process of its own, so that its 100 MB values are not in the measured one.
            await PoisonAsync(redisAddress, source);
            return 0;
        }

        if (args.Length > 0)
        {
            return await RunOneAsync(args[0]);
        }

        Console.WriteLine("scenario | peak over the host before its start | heap kept after | notes");
        var status = 0;
        foreach (var scenario in Scenarios)
        {
            using var child = Self("hostile", scenario);
            Console.WriteLine(await child.StandardOutput.ReadToEndAsync());
            await child.WaitForExitAsync();
            status |= child.ExitCode;
        }

        return status;
    }

    private static async Task<int> RunOneAsync(string scenario)
    {
        var packages = Enumerable.Range(0, 17).Select(i => new FeedPackage($"Hostile.Package{i:D2}", [new("1.0.0"), new("1.1.0")])).ToArray();
        var installed = packages.Select(p => new InstalledPackage(p.Id, "1.0.0")).ToList();
        await using var feed = await LocalNuGetFeed.StartAsync(packages);
        Process? redis = null;
        var redisPort = 0;
        var note = string.Empty;
        var hung = 0;
        switch (scenario)
        {
            case "vulnerability-files-that-hang":
                feed.Advisories = [];
                feed.Intercept = context => VulnerabilityIndexAsync(context, feed, 5_000, "/hang/", async () =>
                {
                    Interlocked.Increment(ref hung);
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                });
                break;
            case "vulnerability-files-15mib":
                feed.Advisories = [];
                feed.Intercept = context => VulnerabilityIndexAsync(context, feed, 10, "/files/", () => StreamAsync(context, "{\"hostile.package00\":[", "]}", 15 * Mebibyte,
                    i => $"{(i == 0 ? "" : ",")}{{\"url\":\"https://advisories.example.test/{i}\",\"severity\":1,\"versions\":\"[9.0.0, )\"}}"));
                break;
            case "nuspecs-15mib":
                feed.Intercept = context => context.Request.Path.Value!.EndsWith(".nuspec", StringComparison.Ordinal)
                    ? Answer(StreamAsync(context, "<?xml version=\"1.0\"?><package><metadata>", "</metadata></package>", 15 * Mebibyte, _ => "<a/>"))
                    : Task.FromResult(false);
                break;
            case "service-index-15mib":
                feed.Intercept = context => context.Request.Path.Value == "/v3/index.json"
                    ? Answer(StreamAsync(context, "{\"version\":\"3.0.0\",\"padding\":[", $"0],\"resources\":[{{\"@id\":\"{feed.BaseUrl}/v3/registration/\",\"@type\":\"RegistrationsBaseUrl/3.6.0\"}}]}}", 15 * Mebibyte, i => $"{i},"))
                    : Task.FromResult(false);
                break;
            case "registration-150-pages":
                feed.Intercept = context => PagedRegistrationAsync(context, feed);
                break;
            case "shared-cache-100mb-entries":
                (redis, redisPort) = await ReplicaBenchmark.StartRedisAsync();
                using (var writer = Self("hostile", "poison", $"127.0.0.1:{redisPort}", feed.ServiceIndexUrl))
                {
                    note = (await writer.StandardOutput.ReadToEndAsync()).Trim();
                    await writer.WaitForExitAsync();
                }
                break;
            default:
                Console.Error.WriteLine($"unknown scenario {scenario}; one of: {string.Join(", ", Scenarios)}");
                return 2;
        }

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("HOSTILE_LOG") is not null)
        {
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).AddFilter("Anexia", LogLevel.Debug);
        }

        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Configuration["AnxMonitoring:AccessToken"] = "hostile-bench-token";
        builder.Configuration["AnxMonitoring:PackageSources:0"] = feed.ServiceIndexUrl;
        builder.Configuration["AnxMonitoring:RuntimeReleasesIndex"] = string.Empty;
        builder.Configuration["AnxMonitoring:ModulesDeadline"] = "00:00:30";
        builder.Services.AddSingleton<IInstalledPackages>(new FixedInstalledPackages(installed));
        if (redis is not null)
        {
            builder.Services.AddStackExchangeRedisCache(o => o.Configuration = $"127.0.0.1:{redisPort}");
        }

        builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration);
        await using var app = builder.Build();
        app.MapControllers();
        // Measured from before the start: the modules warm-up starts the lookups as soon as the host has started.

        using var self = Process.GetCurrentProcess();
        Collect();
        self.Refresh();
        var idle = self.WorkingSet64;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var peak = idle;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(10, CancellationToken.None);
            }
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var answer = await client.GetAsync($"{address}/anxapi/v1/modules?access_token=hostile-bench-token");
        var settle = app.Services.GetRequiredService<ModuleLookups>().WhenIdleAsync();
        await Task.WhenAny(settle, Task.Delay(TimeSpan.FromSeconds(scenario == "vulnerability-files-that-hang" ? 10 : 60)));
        await sampling.CancelAsync();
        await sampler;
        var kept = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        if (scenario == "vulnerability-files-that-hang")
        {
            note = $"{hung} of 5,000 files asked in 10 s";
        }

        Console.Write(string.Create(CultureInfo.InvariantCulture,
            $"{scenario} | {(peak - idle) / (double)Mebibyte:F0} MiB | {kept / (double)Mebibyte:F1} MiB | modules {(int)answer.StatusCode}{(note.Length > 0 ? "; " + note : "")}"));
        await app.StopAsync();
        if (redis is not null)
        {
            redis.Kill();
            await redis.WaitForExitAsync();
            redis.Dispose();
        }

        return 0;
    }

    /// <summary>This program again, in a process of its own, with <paramref name="arguments"/>.</summary>
    private static Process Self(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HostileAnswers).Assembly.Location);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static async Task<bool> Answer(Task answering)
    {
        await answering;
        return true;
    }

    /// <summary>Serves a vulnerability index of <paramref name="files"/> files under <paramref name="prefix"/>, each answered by <paramref name="file"/>.</summary>
    private static async Task<bool> VulnerabilityIndexAsync(HttpContext context, LocalNuGetFeed feed, int files, string prefix, Func<Task> file)
    {
        var path = context.Request.Path.Value!;
        if (path == "/v3/vulnerabilities/index.json")
        {
            var index = string.Join(",", Enumerable.Range(0, files).Select(i => $"{{\"@name\":\"f{i}\",\"@id\":\"{feed.BaseUrl}{prefix}{i}.json\"}}"));
            await StreamAsync(context, "[" + index + "]", string.Empty, 0, _ => string.Empty);
            return true;
        }

        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        await file();
        return true;
    }

    /// <summary>A registration of 150 pages of 10,000 versions each, every page under the answer limit.</summary>
    private static async Task<bool> PagedRegistrationAsync(HttpContext context, LocalNuGetFeed feed)
    {
        var segments = context.Request.Path.Value!.Trim('/').Split('/');
        if (segments is ["v3", "registration", var id, "index.json"])
        {
            var pages = string.Join(",", Enumerable.Range(0, 150).Select(p =>
                $"{{\"@id\":\"{feed.BaseUrl}/v3/registration/{id}/page/{p}.json\",\"count\":10000,\"lower\":\"{p}.0.0\",\"upper\":\"{p}.9999.0\"}}"));
            await StreamAsync(context, "{\"count\":150,\"items\":[" + pages + "]}", string.Empty, 0, _ => string.Empty);
            return true;
        }

        if (segments is ["v3", "registration", var pageId, "page", var file])
        {
            var page = int.Parse(Path.GetFileNameWithoutExtension(file), CultureInfo.InvariantCulture);
            await StreamAsync(context, $"{{\"count\":10000,\"lower\":\"{page}.0.0\",\"upper\":\"{page}.9999.0\",\"items\":[", "]}", 0, _ => string.Empty, 10_000,
                i => $"{(i == 0 ? "" : ",")}{{\"catalogEntry\":{{\"id\":\"{pageId}\",\"version\":\"{page}.{i}.0\",\"licenseExpression\":\"MIT\"}}}}");
            return true;
        }

        return false;
    }

    /// <summary>Writes <paramref name="head"/>, then <paramref name="item"/>s until <paramref name="bytes"/> (or <paramref name="count"/> items), then <paramref name="tail"/>.</summary>
    private static async Task StreamAsync(HttpContext context, string head, string tail, long bytes, Func<int, string> item, int count = int.MaxValue, Func<int, string>? counted = null)
    {
        context.Response.ContentType = "application/json";
        var body = context.Response.Body;
        long written = 0;
        try
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes(head), context.RequestAborted);
            var next = counted ?? item;
            var chunk = new StringBuilder();
            for (var i = 0; (counted is null ? written < bytes : i < count); i++)
            {
                chunk.Append(next(i));
                if (chunk.Length >= 64 * 1024 || (counted is not null && i == count - 1))
                {
                    var data = Encoding.UTF8.GetBytes(chunk.ToString());
                    await body.WriteAsync(data, context.RequestAborted);
                    written += data.Length;
                    chunk.Clear();
                }
            }

            await body.WriteAsync(Encoding.UTF8.GetBytes(tail), context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The host stopped reading (over its limit).
        }
    }

    /// <summary>Writes a 100 MB value under the shared-cache keys of four installed packages, as a hostile writer to the shared Redis would.</summary>
    private static async Task PoisonAsync(string redis, string source)
    {
        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(o => o.Configuration = redis);
        services.AddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddOptions<AnxMonitoringOptions>().Configure(o => o.PackageSources.Add(source));
        services.AddSingleton<SharedLookupCache>();
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IDistributedCache>();
        var keys = provider.GetRequiredService<SharedLookupCache>();
        var value = Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', 100_000_000) + "\"}");
        for (var i = 0; i < 4; i++)
        {
            await cache.SetAsync(keys.Key(new InstalledPackage($"Hostile.Package{i:D2}", "1.0.0")), value);
        }

        Console.Write("4 entries of 100 MB");
    }
}
