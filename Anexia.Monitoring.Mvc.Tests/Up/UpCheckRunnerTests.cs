using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Anexia.Monitoring.Mvc.Tests.Up;

[TestFixture]
public sealed class UpCheckRunnerTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static (UpCheckRunner Runner, FakeTimeProvider Time) Create(params UpCheck[] checks) =>
        Create(new AnxMonitoringOptions { CheckTimeout = TimeSpan.FromSeconds(10) }, checks);

    private static (UpCheckRunner Runner, FakeTimeProvider Time) Create(AnxMonitoringOptions settings, params UpCheck[] checks)
    {
        var source = new Mock<IUpCheckProvider>();
        source.Setup(s => s.Checks).Returns(checks);
        var options = Options.Create(settings);
        var time = new FakeTimeProvider();
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        var executor = new UpCheckExecutor(scopes, time, NullLogger<UpCheckExecutor>.Instance);
        return (new UpCheckRunner([source.Object], executor, options, time), time);
    }

    [Test]
    public async Task Run_WhenCheckHangsPastTheLimit_ReportsTimedOutOnceTheClockPassesIt()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        var (runner, time) = Create(UpCheck.Of("hang", (_, _) =>
        {
            started.SetResult();
            return never.Task;
        }));

        var run = runner.RunAsync(CancellationToken.None);
        await started.Task.WaitAsync(HangGuard);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.That(run.IsCompleted, Is.False, "still within the limit");

        time.Advance(TimeSpan.FromSeconds(1));
        var report = await run.WaitAsync(HangGuard);

        Assert.That((report.StatusCode, report.Body), Is.EqualTo((500, "ERROR: hang timed out")));
    }

    [Test]
    public async Task Run_ConcurrentCallers_ShareOneRunOfTheChecks()
    {
        var runs = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, _) = Create(UpCheck.Of("counted", async (_, _) =>
        {
            Interlocked.Increment(ref runs);
            await release.Task;
        }));

        var callers = Enumerable.Range(0, 20).Select(_ => runner.RunAsync(CancellationToken.None)).ToList();
        release.SetResult();
        var reports = await Task.WhenAll(callers).WaitAsync(HangGuard);

        Assert.That(runs, Is.EqualTo(1));
        Assert.That(reports.Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task Run_AfterARunEnded_ReusesItsReportForTheCacheLifetimeThenRunsAgain()
    {
        var runs = 0;
        var (runner, time) = Create(UpCheck.Of("counted", (_, _) =>
        {
            Interlocked.Increment(ref runs);
            return Task.CompletedTask;
        }));

        var first = await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);
        time.Advance(TimeSpan.FromMilliseconds(999));
        var reused = await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);
        Assert.That((runs, reused), Is.EqualTo((1, first)), "within the default lifetime of 1 s the report is reused");

        time.Advance(TimeSpan.FromMilliseconds(1));
        var fresh = await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);
        Assert.That((runs, fresh), Is.Not.EqualTo((1, first)));
        Assert.That(runs, Is.EqualTo(2), "once the lifetime has passed the checks run again");
    }

    [Test]
    public async Task Run_WithCacheLifetimeZero_RunsAgainForEveryRequestAfterARunEnded()
    {
        var runs = 0;
        var (runner, _) = Create(
            new AnxMonitoringOptions { UpCacheLifetime = TimeSpan.Zero },
            UpCheck.Of("counted", (_, _) =>
            {
                Interlocked.Increment(ref runs);
                return Task.CompletedTask;
            }));

        for (var i = 0; i < 3; i++)
        {
            await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);
        }

        Assert.That(runs, Is.EqualTo(3));
    }

    [Test]
    public async Task Run_SwitchedOffSubscription_IsNotRunAndReportsNothing()
    {
        var runs = 0;
        var (runner, _) = Create(UpCheck.Of("off", (_, _) =>
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("must not run");
        }, isSwitchedOn: () => false));

        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);

        Assert.That((runs, report.Body), Is.EqualTo((0, "OK")));
    }

    [Test]
    public async Task Run_WhenOneCallerGivesUp_OthersStillGetTheReport()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, _) = Create(UpCheck.Of("slow", (_, _) => release.Task));
        using var impatient = new CancellationTokenSource();

        var gaveUp = runner.RunAsync(impatient.Token);
        var waits = runner.RunAsync(CancellationToken.None);
        await impatient.CancelAsync();
        release.SetResult();

        Assert.That(async () => await gaveUp, Throws.InstanceOf<OperationCanceledException>());
        Assert.That((await waits.WaitAsync(HangGuard)).Body, Is.EqualTo("OK"));
    }

    [Test]
    public async Task Run_OrderFollowsSubscriptionsNotCompletion()
    {
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (runner, _) = Create(
            UpCheck.Of("late", async (_, _) =>
            {
                await second.Task;
                throw new InvalidOperationException("late");
            }),
            UpCheck.Of("early", (_, _) =>
            {
                second.SetResult();
                throw new InvalidOperationException("early");
            }));

        var report = await runner.RunAsync(CancellationToken.None).WaitAsync(HangGuard);

        Assert.That(report.Body, Is.EqualTo("ERROR: late\nERROR: early"));
    }
}
