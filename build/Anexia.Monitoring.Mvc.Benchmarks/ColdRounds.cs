using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// Where a cold answer's time goes: three cold hosts one after the other in one process, each with 300 packages of
/// its own on a feed answering after 50 ms, each timed from its start to its complete answer, with the process CPU it
/// used. The first round pays the process's first use of everything (JIT of the library, NuGet.Protocol, HttpClient,
/// System.Text.Json); the later rounds show what the lookups cost once the code is compiled. Usage: <c>cold-rounds</c>.
/// </summary>
internal static class ColdRounds
{
    public static async Task<int> RunAsync()
    {
        for (var round = 0; round < 3; round++)
        {
            var packages = Enumerable.Range(0, 300).Select(i => new FeedPackage($"R{round}.Package{i:D3}", [new("1.0.0", LicenseExpression: "MIT")])).ToArray();
            await using var feed = await LocalNuGetFeed.StartAsync(packages);
            feed.Latency = TimeSpan.FromMilliseconds(50);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            builder.Services.AddControllers().AddAnxMonitoring(o => { o.AccessToken = "t"; o.PackageSources.Add(feed.ServiceIndexUrl); o.UpWarmUp = false; });
            builder.Services.AddSingleton<IInstalledPackages>(new BenchPackages([.. packages.Select(p => new InstalledPackage(p.Id, "1.0.0"))]));
            var app = builder.Build();
            app.MapControllers();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await app.StartAsync();
            var started = watch.Elapsed;
            await app.Services.GetRequiredService<ModulesCatalog>().GetCompleteReportAsync(null, CancellationToken.None);
            Console.WriteLine($"round {round}: start {started.TotalMilliseconds:F0} ms, complete {watch.Elapsed.TotalMilliseconds:F0} ms, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms");
            await app.StopAsync();
            await app.DisposeAsync();
        }

        return 0;
    }
}
