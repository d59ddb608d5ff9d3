using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs every <see cref="MonitorUpCheck"/> subscriber concurrently, each in a DI scope of its own and under
/// <see cref="AnxMonitoringOptions.CheckTimeout"/>, and collects what each reported in subscription order.
/// Requests that arrive while a run is in flight share it, and a finished run answers further requests for
/// <see cref="AnxMonitoringOptions.UpCacheLifetime"/>, so a flood of probes cannot multiply the load on the databases.
/// </summary>
internal sealed partial class UpCheckRunner
{
    private readonly IEventAggregator _events;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IOptionsMonitor<AnxMonitoringOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<UpCheckRunner> _logger;
    private readonly Lock _gate = new();
    private Task<UpReport>? _inFlight;
    private FinishedRun? _lastRun;

    public UpCheckRunner(
        IEventAggregator events,
        IServiceScopeFactory scopeFactory,
        IOptionsMonitor<AnxMonitoringOptions> options,
        TimeProvider timeProvider,
        ILogger<UpCheckRunner> logger)
    {
        _events = events;
        _scopeFactory = scopeFactory;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Returns the report of a run that ended within the cache lifetime, of the run in flight, or of a new run.
    /// The run itself is bounded by the check time limit and is not cancelled when one waiting request goes
    /// away; <paramref name="cancellationToken"/> only stops this caller's wait.
    /// </summary>
    public Task<UpReport> RunAsync(CancellationToken cancellationToken)
    {
        var lifetime = _options.CurrentValue.UpCacheLifetime;
        if (lifetime > TimeSpan.Zero && Volatile.Read(ref _lastRun) is { } last && _timeProvider.GetElapsedTime(last.EndedAt) < lifetime)
        {
            return last.Report;
        }

        TaskCompletionSource<UpReport> started;
        lock (_gate)
        {
            if (_inFlight is { IsCompleted: false } running)
            {
                return running.WaitAsync(cancellationToken);
            }

            started = new TaskCompletionSource<UpReport>(TaskCreationOptions.RunContinuationsAsynchronously);
            _inFlight = started.Task;
        }

        // Started outside the lock; the checks themselves run on the thread pool, so this caller only queues them.
        _ = CompleteAsync(started);
        return started.Task.WaitAsync(cancellationToken);
    }

    private async Task CompleteAsync(TaskCompletionSource<UpReport> run)
    {
        try
        {
            var report = await RunAllAsync();
            Volatile.Write(ref _lastRun, new FinishedRun(Task.FromResult(report), _timeProvider.GetTimestamp()));
            run.SetResult(report);
        }
        catch (Exception ex)
        {
            // Not expected: every check's failure is already an outcome. Never leave the sharing requests waiting.
            run.SetException(ex);
        }
    }

    private async Task<UpReport> RunAllAsync()
    {
        var subscriptions = _events.GetSubscriptions<MonitorUpCheck>();
        var timeout = _options.CurrentValue.CheckTimeout;

        // Every check starts now and has the same limit: one timer for the whole run.
        using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
        var runs = new Task<UpCheckOutcome>[subscriptions.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            var subscription = subscriptions[i];
            runs[i] = subscription.IsSwitchedOn is { } isSwitchedOn && !isSwitchedOn()
                ? Task.FromResult(UpCheckOutcome.Ok)
                : RunOneAsync(subscription, timeout, timeoutSource);
        }

        return new UpReport(await Task.WhenAll(runs));
    }

    private async Task<UpCheckOutcome> RunOneAsync(EventSubscription<MonitorUpCheck> subscription, TimeSpan timeout, CancellationTokenSource timeoutSource)
    {
        var scope = _scopeFactory.CreateAsyncScope();
        var check = new MonitorUpCheck(scope.ServiceProvider);

        // Task.Run: a check that blocks synchronously before its first await must not hold up the others.
        var token = timeoutSource.Token;
        var work = Task.Run(() => subscription.Handler(check, token), CancellationToken.None);
        try
        {
            await work.WaitAsync(timeoutSource.Token);
            return UpCheckOutcome.Ok;
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            Log.CheckTimedOut(_logger, subscription.Name, timeout);
            return new UpCheckOutcome(UpCheckStatus.Error, $"{subscription.Name} timed out");
        }
        catch (MonitorUpWarningException warning)
        {
            Log.CheckWarned(_logger, subscription.Name, warning.Message);
            return new UpCheckOutcome(UpCheckStatus.Warning, warning.Message);
        }
        catch (Exception error)
        {
            Log.CheckFailed(_logger, subscription.Name, error);
            return new UpCheckOutcome(UpCheckStatus.Error, error.Message);
        }
        finally
        {
            // A check that ignored its token keeps its scope until it really ends.
            if (work.IsCompleted)
            {
                await scope.DisposeAsync();
            }
            else
            {
                _ = work.ContinueWith(
                    static (late, state) =>
                    {
                        _ = late.Exception; // observed: it was already reported as a time-out
                        return ((AsyncServiceScope)state!).DisposeAsync().AsTask();
                    },
                    scope,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default).Unwrap();
            }
        }
    }

    private sealed record FinishedRun(Task<UpReport> Report, long EndedAt);

    private static partial class Log
    {
        [LoggerMessage(EventId = 101, EventName = "UpCheckWarned", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' reported a warning: {WarningMessage}")]
        public static partial void CheckWarned(ILogger logger, string checkName, string warningMessage);

        [LoggerMessage(EventId = 102, EventName = "UpCheckFailed", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' reported an error.")]
        public static partial void CheckFailed(ILogger logger, string checkName, Exception exception);

        [LoggerMessage(EventId = 103, EventName = "UpCheckTimedOut", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' did not finish within {CheckTimeout}; reported as timed out.")]
        public static partial void CheckTimedOut(ILogger logger, string checkName, TimeSpan checkTimeout);
    }
}
