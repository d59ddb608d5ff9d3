using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The cold comparison in separate processes, as a deployment sees it: the feed in a process of its own
/// (<c>feed-host N</c>), and, each in a fresh process, the library's cold first complete answer
/// (<c>cold-library URL N</c>) and a plain <see cref="HttpClient"/> fetching the same URLs at the same concurrency
/// (<c>cold-client URL N</c>). Neither profits from the other's compiled code or the feed's. build/cold-capacity runs them.
/// </summary>
internal static class ColdCapacity
{
    private static string Id(int i) => $"Bench.Package{i:D3}";

    /// <summary>Serves N fixture packages after 50 ms each, prints <c>listening: URL</c>, and runs until SIGTERM or SIGINT.</summary>
    public static async Task<int> FeedAsync(int count)
    {
        var packages = Enumerable.Range(0, count).Select(i => new FeedPackage(Id(i), [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "MIT")])).ToArray();
        await using var feed = await LocalNuGetFeed.StartAsync(packages);
        feed.Latency = TimeSpan.FromMilliseconds(50);
        // Until SIGTERM or Ctrl+C (build/cold-capacity stops it with kill): the feed's host takes those signals for its
        // own stopping and cancels the process's exit, so waiting forever here would outlive the script.
        var stopped = new TaskCompletionSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => stopped.TrySetResult());
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => stopped.TrySetResult());
        Console.WriteLine("listening: " + feed.BaseUrl);
        await stopped.Task;
        return 0;
    }

    /// <summary>A host of the library, cold: time from its first request to its complete answer, and its process CPU from start.</summary>
    public static async Task<int> LibraryAsync(string baseUrl, int count)
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
        builder.Services.AddSingleton<IInstalledPackageSource>(new BenchPackages([.. Enumerable.Range(0, count).Select(i => new InstalledPackage(Id(i), "1.0.0"))]));
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
    private static string Jit() =>
        $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms";

    /// <summary>A plain client, cold: the service index, then the same registrations 16 at a time, reading the bytes only.</summary>
    public static async Task<int> ClientAsync(string baseUrl, int count)
    {
        using var timeline = new RequestTimeline();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var paths = Enumerable.Range(0, count).Select(i => $"/v3/registration/{Id(i).ToLowerInvariant()}/index.json")
            .Append("/v3/registration/microsoft.aspnetcore.app.ref/index.json");
        var watch = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 });
        (await http.GetByteArrayAsync(baseUrl + "/v3/index.json")).AsSpan();
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (path, ct) =>
        {
            using var response = await http.GetAsync(baseUrl + path, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
        });
        Console.WriteLine($"client: {watch.Elapsed.TotalMilliseconds:F0} ms, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, {Jit()}; {timeline.Describe(watch)}");
        return 0;
    }
}
