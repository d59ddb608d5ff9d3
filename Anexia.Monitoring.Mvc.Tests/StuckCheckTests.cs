using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anexia.Monitoring.Mvc.Tests;

/// <summary>A check that blocks its thread is not started again while it is stuck: no thread per run piles up.</summary>
[TestFixture]
public sealed class StuckCheckTests
{
    private const int Runs = 50;

    private static readonly Dictionary<string, string?> EveryProbeRuns = new()
    {
        ["AnxMonitoring:CheckTimeout"] = "00:00:00.2",
        ["AnxMonitoring:UpCacheLifetime"] = "0",
        ["AnxMonitoring:TestDbConnections"] = "false",
        ["AnxMonitoring:TestQueryUsers"] = "false",
    };

    [Test]
    public async Task Up_SubscriberThatBlocksItsThread_IsStartedOnceWhileStuck_AndAgainOnceItEnds()
    {
        using var gate = new ManualResetEventSlim();
        var starts = 0;
        await using var host = await MonitoringTestHost.StartAsync(EveryProbeRuns);
        host.Events.Subscribe<MonitorUpCheck>("blocker", (_, _) =>
        {
            Interlocked.Increment(ref starts);
            gate.Wait(CancellationToken.None); // a synchronous call that does not return and ignores its token
            return Task.CompletedTask;
        });

        var (bodies, threadGrowth) = await ProbeAsync(host);
        gate.Set();
        var recovered = await UntilOkAsync(host);

        Assert.Multiple(() =>
        {
            Assert.That(bodies[0], Is.EqualTo("ERROR: blocker timed out"));
            Assert.That(bodies.Skip(1), Is.All.EqualTo("ERROR: blocker timed out (still running from an earlier run)"));
            Assert.That(starts, Is.EqualTo(2), $"started by the first of {Runs} runs only, then once more after it ended");
            Assert.That(threadGrowth, Is.LessThanOrEqualTo(8), $"threads added over {Runs} runs");
            Assert.That(recovered, Is.True, "once the stuck run ended, the next run started the check and it passed");
        });
    }

    [Test]
    public async Task Up_HealthCheckThatBlocksItsThread_IsStartedOnceWhileStuck_AndAgainOnceItEnds()
    {
        using var gate = new ManualResetEventSlim();
        var check = new BlockingHealthCheck(gate);
        await using var host = await MonitoringTestHost.StartAsync(EveryProbeRuns,
            configureServices: b => b.Services.AddHealthChecks().AddCheck("blocking", check));

        var (bodies, threadGrowth) = await ProbeAsync(host);
        gate.Set();
        var recovered = await UntilOkAsync(host);

        Assert.Multiple(() =>
        {
            Assert.That(bodies[0], Is.EqualTo("ERROR: blocking timed out"));
            Assert.That(bodies.Skip(1), Is.All.EqualTo("ERROR: blocking timed out (still running from an earlier run)"));
            Assert.That(check.Starts, Is.EqualTo(2));
            Assert.That(threadGrowth, Is.LessThanOrEqualTo(8), $"threads added over {Runs} runs");
            Assert.That(recovered, Is.True);
        });
    }

    private static async Task<(List<string> Bodies, int ThreadGrowth)> ProbeAsync(MonitoringTestHost host)
    {
        var threadsBefore = Process.GetCurrentProcess().Threads.Count;
        var bodies = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            using var response = await host.GetUpAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            bodies.Add(await response.Content.ReadAsStringAsync());
        }

        return (bodies, Process.GetCurrentProcess().Threads.Count - threadsBefore);
    }

    /// <summary>Probes until the answer is OK (the released check has ended and ran again), for at most 10 s.</summary>
    private static async Task<bool> UntilOkAsync(MonitoringTestHost host)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await host.GetUpAsync();
            if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync() == "OK")
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    private sealed class BlockingHealthCheck(ManualResetEventSlim gate) : IHealthCheck
    {
        private int _starts;

        public int Starts => Volatile.Read(ref _starts);

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _starts);
            gate.Wait(CancellationToken.None);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }
}
