using System.Diagnostics;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// What one run of the <c>up</c> checks costs the library, without HTTP: the checks of the load host (an
/// <see cref="IMonitorUpCheckHandler"/> class and a <see cref="MonitorUpCheck"/> subscriber, both trivial; then the
/// same with an ASP.NET Core health check beside them) run through the runner with reuse off, one caller at a time and
/// 64 callers at once, as time and bytes allocated per run. The baseline is the same checks called directly, one after
/// the other, with no scope, task or time limit: what the checks themselves cost. Usage: <c>up-runs</c>.
/// </summary>
internal static class UpRuns
{
    public static async Task<int> RunAsync()
    {
        foreach (var withHealthCheck in new[] { false, true })
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddControllers().AddAnxMonitoring(o =>
            {
                o.AccessToken = "t";
                o.TestDbConnections = false;
                o.TestQueryUsers = false;
                o.UpWarmUp = false;
                o.UpCacheLifetime = TimeSpan.Zero;
            });
            builder.Services.AddMonitorUpCheck<ClockCheck>();
            if (withHealthCheck)
            {
                builder.Services.AddHealthChecks().AddCheck("clock", () => DateTimeOffset.UtcNow.Year < 2000
                    ? HealthCheckResult.Degraded("the system clock looks wrong")
                    : HealthCheckResult.Healthy());
            }

            await using var app = builder.Build();
            app.Services.GetRequiredService<IEventAggregator>().Subscribe<MonitorUpCheck>("queue", (_, _) => Task.CompletedTask);
            var runner = app.Services.GetRequiredService<UpCheckRunner>();
            var label = withHealthCheck ? "handler + subscriber + health check" : "handler + subscriber";

            var checks = runner.CurrentChecks();
            var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
            var direct = await MeasureAsync(1, async () =>
            {
                foreach (var check in checks)
                {
                    // Each with its event, whose scope the check makes if it asks (the handler class does).
                    var upEvent = new MonitorUpCheck(scopes);
                    await check.RunAsync(upEvent, CancellationToken.None);
                    await upEvent.DisposeScopeAsync();
                }
            });
            var sequential = await MeasureAsync(1, () => runner.RunAsync(reuseFinishedRun: false, CancellationToken.None));
            var parallel = await MeasureAsync(64, () => runner.RunAsync(reuseFinishedRun: false, CancellationToken.None));
            Console.WriteLine($"{label}: checks called directly {direct}; runner, 1 caller {sequential}; runner, 64 callers {parallel}");
        }

        return 0;
    }

    private static async Task<string> MeasureAsync(int callers, Func<Task> run)
    {
        // Warm up (tiered JIT), then measure for 3 s.
        await LoopAsync(callers, run, TimeSpan.FromSeconds(3));
        GC.Collect();
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var runs = await LoopAsync(callers, run, TimeSpan.FromSeconds(3));
        var elapsed = watch.Elapsed;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - bytes;
        return $"{runs / elapsed.TotalSeconds:F0} runs/s, {cpuUsed.TotalMicroseconds / runs:F2} µs CPU and {allocated / (double)runs:F0} B per run";
    }

    private static async Task<long> LoopAsync(int callers, Func<Task> run, TimeSpan duration)
    {
        var watch = Stopwatch.StartNew();
        long count = 0;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (watch.Elapsed < duration)
            {
                await run();
                Interlocked.Increment(ref count);
            }
        })));
        return count;
    }

    private sealed class ClockCheck : IMonitorUpCheckHandler
    {
        public Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken) =>
            DateTimeOffset.UtcNow.Year < 2000 ? throw new MonitorUpWarningException("the system clock looks wrong") : Task.CompletedTask;
    }
}
