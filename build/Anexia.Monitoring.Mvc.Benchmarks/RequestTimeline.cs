using System.Diagnostics;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>When this process's outgoing HTTP requests started and ended (System.Net.Http's activities).</summary>
internal sealed class RequestTimeline : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(long Start, long End, string Path)> _requests = new();

    /// <param name="baseUrl">Only requests to addresses starting with this one; all when null.</param>
    public RequestTimeline(string? baseUrl = null)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (baseUrl is null || (activity.GetTagItem("url.full") as string ?? string.Empty).StartsWith(baseUrl, StringComparison.Ordinal))
                {
                    _requests.Enqueue((
                        activity.StartTimeUtc.Ticks, (activity.StartTimeUtc + activity.Duration).Ticks,
                        activity.GetTagItem("url.full") as string ?? string.Empty));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Milliseconds from the watch's start to the first request, the first registration sent and answered, the last answered.</summary>
    public string Describe(Stopwatch watch)
    {
        var origin = DateTime.UtcNow.Ticks - watch.Elapsed.Ticks;
        double Ms(long ticks) => (ticks - origin) / (double)TimeSpan.TicksPerMillisecond;
        var all = _requests.OrderBy(r => r.Start).ToList();
        var registrations = all.Where(r => r.Path.Contains("/registration/", StringComparison.Ordinal)).ToList();
        return all.Count == 0 || registrations.Count == 0
            ? "no requests seen"
            : $"hosts: {string.Join(' ', all.Select(r => new Uri(r.Path).Authority).Distinct())}; timeline ms: first request {Ms(all[0].Start):F0}, first registration sent {Ms(registrations[0].Start):F0}, answered {Ms(registrations.Min(r => r.End)):F0}, last answered {Ms(registrations.Max(r => r.End)):F0}";
    }

    public void Dispose() => _listener.Dispose();
}
