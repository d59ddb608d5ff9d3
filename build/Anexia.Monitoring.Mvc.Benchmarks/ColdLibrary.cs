using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// <c>cold-library URL N</c> of build/cold-capacity: a host of the library, cold, in a process of its own. This file,
/// <see cref="BenchPackages"/> and <see cref="RequestTimeline"/> use only what the library has had since 0.2.0, so that
/// <c>build/cold-capacity --against REVISION</c> builds them over an earlier revision's library as its reference.
/// </summary>
internal static class ColdLibrary
{
    /// <summary>The id of the feed's i-th fixture package (<c>feed-host</c>).</summary>
    internal static string Id(int i) => $"Bench.Package{i:D3}";

    /// <summary>A host of the library, cold: time from its first request to its complete answer, and its process CPU from start.</summary>
    public static async Task<int> RunAsync(string baseUrl, int count)
    {
        using var timeline = new RequestTimeline();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddControllers().AddAnxMonitoring(o =>
        {
            o.AccessToken = "t";
            o.PackageSources.Add(baseUrl + "/v3/index.json");
        });
        builder.Services.AddSingleton<IInstalledPackages>(new BenchPackages([.. Enumerable.Range(0, count).Select(i => new InstalledPackage(Id(i), "1.0.0"))]));
        var app = builder.Build();
        app.MapControllers();
        await app.StartAsync();
        var watch = Stopwatch.StartNew();
        var atStart = $"at start: cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, {Jit()}";
        await app.Services.GetRequiredService<ModulesCatalog>().GetCompleteReportAsync(null, CancellationToken.None);
        var sinceProcessStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
        Console.WriteLine($"library: {watch.Elapsed.TotalMilliseconds:F0} ms ({sinceProcessStart.TotalMilliseconds:F0} ms since the process started), cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, {Jit()} ({atStart}); {timeline.Describe(watch)}");
        await app.StopAsync();
        return 0;
    }

    /// <summary>What the JIT did in this process so far: methods compiled and the time it spent.</summary>
    internal static string Jit() =>
        $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms";
}
