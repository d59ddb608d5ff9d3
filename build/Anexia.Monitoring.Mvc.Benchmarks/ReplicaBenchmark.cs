using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Telemetry;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// Replicas sharing their lookups through a real Redis (redis-server started here, on 127.0.0.1 and a free port):
/// 300 fixture packages on a loopback feed answering after 50 ms. A cold replica starts alone and its first complete
/// answer is timed; then the late replicas start, one after the other, and each one's first complete answer is timed
/// too; last, the registry requests per package of all of them together. Target: a late replica's first complete
/// answer at least 10 times faster than the cold one's. Usage: <c>replicas [N]</c> (N replicas in all, default 3).
/// </summary>
internal static class ReplicaBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
        const int PackageCount = 300;
        var packages = Enumerable.Range(0, PackageCount)
            .Select(i => new FeedPackage($"Bench.Package{i:D3}", [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "MIT")]))
            .ToArray();
        var installed = packages.Select(p => new InstalledPackage(p.Id, "1.0.0")).ToArray();
        await using var feed = await LocalNuGetFeed.StartAsync(packages);
        feed.Latency = TimeSpan.FromMilliseconds(50);

        var (redis, port) = await StartRedisAsync();
        using var _ = redis;
        try
        {
            var replicas = new List<WebApplication>();
            var times = new List<TimeSpan>();
            for (var i = 0; i < count; i++)
            {
                var watch = Stopwatch.StartNew();
                var replica = await StartReplicaAsync(feed.ServiceIndexUrl, $"127.0.0.1:{port},abortConnect=false", installed);
                replicas.Add(replica);
                await replica.Services.GetRequiredService<ModulesCatalog>().GetCompleteReportAsync(null, CancellationToken.None);
                times.Add(watch.Elapsed);
            }

            var perPackage = feed.RequestsTo("/v3/registration/") / (double)(PackageCount + 1);
            var late = times.Skip(1).DefaultIfEmpty(times[0]).Max();
            Console.WriteLine($"replicas benchmark: {count} replicas sharing lookups through Redis, {PackageCount} packages, feed latency 50 ms, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            Console.WriteLine($"{"cold replica, first complete answer",-44}{times[0].TotalMilliseconds,10:F0} ms");
            for (var i = 1; i < times.Count; i++)
            {
                Console.WriteLine($"{$"late replica {i}, first complete answer",-44}{times[i].TotalMilliseconds,10:F0} ms{times[0] / times[i],10:F1} x faster");
            }

            Console.WriteLine($"{"registry requests per package, all replicas",-44}{perPackage,10:F2}");
            var met = times[0] / late >= 10 && perPackage <= 1.2;
            Console.WriteLine(met ? "targets: met (late >= 10x faster than cold, <= 1.2 requests per package)" : "targets: NOT met");
            foreach (var replica in replicas)
            {
                await replica.StopAsync();
                await replica.DisposeAsync();
            }

            return met ? 0 : 1;
        }
        finally
        {
            redis.Kill();
            await redis.WaitForExitAsync();
        }
    }

    private static async Task<WebApplication> StartReplicaAsync(string source, string redis, IReadOnlyList<InstalledPackage> installed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddStackExchangeRedisCache(o => o.Configuration = redis);
        builder.Services.AddControllers().AddAnxMonitoring(o =>
        {
            o.AccessToken = "bench-token";
            o.PackageSources.Add(source);
            o.RuntimeReleasesIndex = string.Empty; // loopback only
        });
        builder.Services.AddSingleton<IInstalledPackages>(new FixedInstalledPackages(installed));
        var app = builder.Build();
        app.MapControllers();
        await app.StartAsync();
        return app;
    }

    /// <summary>A throw-away redis-server on 127.0.0.1 and a free port, once it listens; the caller kills it.</summary>
    internal static async Task<(Process Redis, int Port)> StartRedisAsync()
    {
        var port = LocalNuGetFeed.FreePort();
        var redis = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
        })!;
        _ = redis.StandardOutput.ReadToEndAsync();
        await WaitForPortAsync(port);
        return (redis, port);
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"redis-server did not listen on port {port}");
    }
}
