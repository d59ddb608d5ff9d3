using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anexia.Monitoring.Mvc.Tests.Up;

/// <summary>
/// How the executor starts checks: one after the other on a thread-pool thread, never on the caller's, each in the
/// caller's execution context and isolated from what the check before it changed, and handed to another thread when
/// one check holds the starting thread.
/// </summary>
[TestFixture]
public sealed class UpCheckExecutorTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private static readonly AsyncLocal<string?> Ambient = new();

    private static UpCheckExecutor Create(TimeProvider? time = null) => new(
        new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(),
        time ?? TimeProvider.System,
        NullLogger<UpCheckExecutor>.Instance);

    private static string[] Lines(UpCheckOutcome[][] outcomes) =>
        [.. outcomes.SelectMany(o => o).Select(o => o.Status == UpCheckStatus.Ok ? "OK" : UpReport.Line(o))];

    [Test]
    public async Task Run_ChecksThatEachBlockUntilTheNextHasStarted_AllStartAndPass()
    {
        // Each check blocks its thread until the check after it has started: only a hand-off to another thread for
        // every blocked one lets the chain finish. Without it, each would wait out its 10 s and warn.
        using var secondStarted = new ManualResetEventSlim();
        using var thirdStarted = new ManualResetEventSlim();
        UpCheck Blocking(string name, ManualResetEventSlim? started, ManualResetEventSlim next) => UpCheck.Of(name, (_, _) =>
        {
            started?.Set();
            return next.Wait(TimeSpan.FromSeconds(10), CancellationToken.None) ? Task.CompletedTask : throw new MonitorUpWarningException($"{name}: the next check never started");
        });
        var checks = new[]
        {
            Blocking("first", null, secondStarted),
            Blocking("second", secondStarted, thirdStarted),
            UpCheck.Of("third", (_, _) =>
            {
                thirdStarted.Set();
                return Task.CompletedTask;
            }),
        };

        var outcomes = await Create().RunAsync(checks, TimeSpan.FromSeconds(20)).WaitAsync(HangGuard);

        Assert.That(Lines(outcomes), Is.EqualTo(new[] { "OK", "OK", "OK" }));
    }

    [Test]
    public async Task Run_CheckThatBlocksItsThreadTheSecondTime_TheChecksAfterItStillStart()
    {
        using var secondStarted = new ManualResetEventSlim();
        var block = false;
        var checks = new[]
        {
            UpCheck.Of("quick, then blocking", (_, _) =>
                !Volatile.Read(ref block) || secondStarted.Wait(TimeSpan.FromSeconds(10), CancellationToken.None)
                    ? Task.CompletedTask
                    : throw new MonitorUpWarningException("the second check never started")),
            UpCheck.Of("second", (_, _) =>
            {
                secondStarted.Set();
                return Task.CompletedTask;
            }),
        };
        var executor = Create();
        var first = await executor.RunAsync(checks, TimeSpan.FromSeconds(20)).WaitAsync(HangGuard);
        secondStarted.Reset();
        Volatile.Write(ref block, true);

        var second = await executor.RunAsync(checks, TimeSpan.FromSeconds(20)).WaitAsync(HangGuard);

        Assert.Multiple(() =>
        {
            Assert.That(Lines(first), Is.EqualTo(new[] { "OK", "OK" }));
            Assert.That(Lines(second), Is.EqualTo(new[] { "OK", "OK" }));
        });
    }

    [Test]
    public async Task Run_CheckThatCompletesSynchronously_NeverRunsOnTheCallersThread()
    {
        var caller = Environment.CurrentManagedThreadId;
        var ranOn = new List<int>();
        var checks = Enumerable.Range(0, 3).Select(i => UpCheck.Of($"check {i}", (_, _) =>
        {
            lock (ranOn)
            {
                ranOn.Add(Environment.CurrentManagedThreadId);
            }

            return Task.CompletedTask;
        })).ToArray();

        await Create().RunAsync(checks, TimeSpan.FromSeconds(10)).WaitAsync(HangGuard);

        Assert.That(ranOn, Has.Count.EqualTo(3).And.No.EqualTo(caller));
    }

    [Test]
    public async Task Run_EachCheckSeesTheCallersContext_AndNothingTheCheckBeforeItChanged()
    {
        var seen = new List<string?>();
        var checks = new[]
        {
            UpCheck.Of("changes the ambient value", (_, _) =>
            {
                seen.Add(Ambient.Value);
                Ambient.Value = "changed by the first check"; // synchronously, outside any async method
                return Task.CompletedTask;
            }),
            UpCheck.Of("reads it", (_, _) =>
            {
                seen.Add(Ambient.Value);
                return Task.CompletedTask;
            }),
        };

        Ambient.Value = "the caller's";
        await Create().RunAsync(checks, TimeSpan.FromSeconds(10)).WaitAsync(HangGuard);

        Assert.That(seen, Is.EqualTo(new[] { "the caller's", "the caller's" }));
    }

    [Test]
    public async Task Run_EachCheckHasAScopeOfItsOwn_DisposedWhenItEnds()
    {
        var services = new ServiceCollection().AddScoped<Disposable>().BuildServiceProvider();
        var executor = new UpCheckExecutor(services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System, NullLogger<UpCheckExecutor>.Instance);
        var resolved = new List<Disposable>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = new[]
        {
            UpCheck.Of("synchronous", (check, _) =>
            {
                resolved.Add(check.Services.GetRequiredService<Disposable>());
                return Task.CompletedTask;
            }),
            UpCheck.Of("asynchronous", async (check, _) =>
            {
                lock (resolved)
                {
                    resolved.Add(check.Services.GetRequiredService<Disposable>());
                }

                await release.Task;
            }),
        };

        var run = executor.RunAsync(checks, TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        var disposedBeforeTheSecondEnded = resolved.Count(d => d.IsDisposed);
        release.SetResult();
        var outcomes = await run.WaitAsync(HangGuard);

        Assert.Multiple(() =>
        {
            Assert.That(Lines(outcomes), Is.EqualTo(new[] { "OK", "OK" }));
            Assert.That(resolved, Has.Count.EqualTo(2));
            Assert.That(resolved[0], Is.Not.SameAs(resolved[1]), "a scope per check");
            Assert.That(disposedBeforeTheSecondEnded, Is.EqualTo(1), "the finished check's scope, not the running one's");
            Assert.That(resolved, Is.All.Matches<Disposable>(d => d.IsDisposed));
        });
    }

    [Test]
    public async Task Run_WhenTheCallerCancels_EveryUnfinishedCheckCountsAsTimedOut()
    {
        using var cancel = new CancellationTokenSource();
        var never = new TaskCompletionSource();
        var checks = new[]
        {
            UpCheck.Of("quick", (_, _) => Task.CompletedTask),
            UpCheck.Of("endless", (_, _) => never.Task),
        };

        var run = Create().RunAsync(checks, TimeSpan.FromMinutes(10), cancel.Token);
        await Task.Delay(50);
        Assert.That(run.IsCompleted, Is.False);
        await cancel.CancelAsync();
        var outcomes = await run.WaitAsync(HangGuard);

        Assert.That(Lines(outcomes), Is.EqualTo(new[] { "OK", "ERROR: endless timed out" }));
    }

    [Test]
    public async Task Run_WithATimeLimitShorterThanItsOwnSetUp_EndsEveryTimeWithEachCheckDoneOrTimedOut()
    {
        // The run's timer may fire before the run has finished setting itself up; it must neither fail nor hang.
        var executor = Create();
        var checks = new[]
        {
            UpCheck.Of("quick", (_, _) => Task.CompletedTask),
            UpCheck.Of("polite", (_, ct) => Task.Delay(Timeout.Infinite, ct)),
            UpCheck.Of("registers a throwing callback", (_, ct) =>
            {
                ct.Register(() => throw new InvalidOperationException("thrown on cancellation"));
                return Task.Delay(Timeout.Infinite, ct);
            }),
        };

        for (var i = 0; i < 300; i++)
        {
            var lines = Lines(await executor.RunAsync(checks, TimeSpan.FromTicks(1)).WaitAsync(HangGuard));

            // A cancelled check may not have finished ending when the next run starts: then it is still running.
            Assert.That(lines[0], Is.AnyOf("OK", "ERROR: quick timed out", "ERROR: quick timed out (still running from an earlier run)"));
            Assert.That(lines[1], Is.AnyOf("ERROR: polite timed out", "ERROR: polite timed out (still running from an earlier run)"));
            Assert.That(lines[2], Does.StartWith("ERROR: registers a throwing callback timed out"));
        }
    }

    [Test]
    public async Task Run_CheckWhoseCancellationCallbackBlocks_DoesNotHoldUpTheRunsAnswer()
    {
        // A database driver may send its cancel request to a hung server from the token's callback.
        using var gate = new ManualResetEventSlim();
        var checks = new[]
        {
            UpCheck.Of("blocking callback", (_, ct) =>
            {
                ct.Register(() => gate.Wait(TimeSpan.FromSeconds(30)));
                return Task.Delay(Timeout.Infinite, ct);
            }),
            UpCheck.Of("polite", (_, ct) => Task.Delay(Timeout.Infinite, ct)),
        };

        var lines = Lines(await Create().RunAsync(checks, TimeSpan.FromMilliseconds(100)).WaitAsync(HangGuard));
        gate.Set();

        Assert.That(lines, Is.EqualTo(new[] { "ERROR: blocking callback timed out", "ERROR: polite timed out" }),
            "answered while the callback still blocks (it is released only after the answer)");
    }

    [Test]
    public async Task Run_CheckThatThrowsBeforeReturningATask_IsAnErrorAndTheOthersStillRun()
    {
        var checks = new[]
        {
            new UpCheck("throws at once", (_, _) => throw new InvalidOperationException("broken before any await")),
            UpCheck.Of("warns", (_, _) => throw new MonitorUpWarningException("still ran")),
        };

        var outcomes = await Create().RunAsync(checks, TimeSpan.FromSeconds(10)).WaitAsync(HangGuard);

        Assert.That(Lines(outcomes), Is.EqualTo(new[] { "ERROR: broken before any await", "WARNING: still ran" }));
    }

    [Test]
    public async Task Run_WhenTheLoggerAndASettingsSwitchThrow_EveryCheckIsStillSettled_AndTheRunEnds()
    {
        // Nothing the run calls besides the checks may end the process (pool and timer threads) or leave it hanging.
        var executor = new UpCheckExecutor(
            new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(),
            TimeProvider.System,
            new ThrowingLogger());
        var checks = new[]
        {
            new UpCheck("switch throws", (_, _) => Task.FromResult<IReadOnlyList<string>>([]), () => throw new InvalidOperationException("settings unreadable")),
            UpCheck.Of("warns", (_, _) => throw new MonitorUpWarningException("a warning the logger cannot write")),
            UpCheck.Of("hangs", (_, ct) => Task.Delay(Timeout.Infinite, ct)),
            UpCheck.Of("passes", (_, _) => Task.CompletedTask),
        };

        for (var run = 0; run < 2; run++)
        {
            var lines = Lines(await executor.RunAsync(checks, TimeSpan.FromMilliseconds(200)).WaitAsync(HangGuard));

            Assert.That(lines, Has.Length.EqualTo(4));
            Assert.That(lines[0], Is.EqualTo("ERROR: settings unreadable"));
            Assert.That(lines[1], Is.EqualTo("ERROR: the log provider failed"));
            Assert.That(lines[2], Does.StartWith("ERROR: hangs timed out"));
            Assert.That(lines[3], Is.EqualTo("OK"));
        }
    }

    [Test]
    public async Task Run_ASynchronizationContextOneCheckSets_DoesNotReachTheNext()
    {
        var seen = new List<SynchronizationContext?>();
        var checks = new[]
        {
            UpCheck.Of("sets a synchronization context", (_, _) =>
            {
                SynchronizationContext.SetSynchronizationContext(new SynchronizationContext());
                return Task.CompletedTask;
            }),
            UpCheck.Of("looks", (_, _) =>
            {
                seen.Add(SynchronizationContext.Current);
                return Task.CompletedTask;
            }),
        };
        var executor = Create();

        // The second run starts the first check, quick by then, on the same thread as the second.
        await executor.RunAsync(checks, TimeSpan.FromSeconds(10)).WaitAsync(HangGuard);
        await executor.RunAsync(checks, TimeSpan.FromSeconds(10)).WaitAsync(HangGuard);

        Assert.That(seen, Is.EqualTo(new SynchronizationContext?[] { null, null }));
    }

    private sealed class ThrowingLogger : Microsoft.Extensions.Logging.ILogger<UpCheckExecutor>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("the log provider failed");
    }

    private sealed class Disposable : IDisposable
    {
        public bool IsDisposed { get; private set; }

        public void Dispose() => IsDisposed = true;
    }

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
