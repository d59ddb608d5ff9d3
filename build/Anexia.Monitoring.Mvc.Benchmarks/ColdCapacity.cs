using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
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
/// The cold comparison in separate processes, as a deployment sees it: the feed in a process of its own
/// (<c>feed-host N</c>), and, each in a fresh process, the library's cold first complete answer
/// (<c>cold-library URL N</c>, <see cref="ColdLibrary"/>) and a plain <see cref="HttpClient"/> fetching the same URLs at the same concurrency
/// (<c>cold-client URL N</c>). Neither profits from the other's compiled code or the feed's. build/cold-capacity runs them.
/// </summary>
internal static class ColdCapacity
{
    /// <summary>Serves N fixture packages after 50 ms each, prints <c>listening: URL</c>, and runs until SIGTERM or SIGINT.</summary>
    public static async Task<int> FeedAsync(int count)
    {
        var packages = Enumerable.Range(0, count).Select(i => new FeedPackage(ColdLibrary.Id(i), [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "MIT")])).ToArray();
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

    /// <summary>A plain client, cold: the service index, then the same registrations 16 at a time, reading the bytes only.</summary>
    public static async Task<int> ClientAsync(string baseUrl, int count)
    {
        using var timeline = new RequestTimeline();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var paths = Enumerable.Range(0, count).Select(i => $"/v3/registration/{ColdLibrary.Id(i).ToLowerInvariant()}/index.json")
            .Append("/v3/registration/microsoft.aspnetcore.app.ref/index.json");
        var watch = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 });
        (await http.GetByteArrayAsync(baseUrl + "/v3/index.json")).AsSpan();
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (path, ct) =>
        {
            using var response = await http.GetAsync(baseUrl + path, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
        });
        Console.WriteLine($"client: {watch.Elapsed.TotalMilliseconds:F0} ms, cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms, {ColdLibrary.Jit()}; {timeline.Describe(watch)}");
        return 0;
    }
}
