using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs every <see cref="MonitorUpCheck"/> subscriber concurrently, each in a DI scope of its own and under
/// <see cref="AnxMonitoringOptions.CheckTimeout"/>, and collects what each reported in subscription order.
/// Requests that arrive while a run is in flight share it, so a flood of probes cannot multiply the load on
/// the databases.
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
    /// Returns the report of the run in flight, or of a new run. The run itself is bounded by the check time
    /// limit and is not cancelled when one waiting request goes away; <paramref name="cancellationToken"/>
    /// only stops this caller's wait.
    /// </summary>
    public Task<UpReport> RunAsync(CancellationToken cancellationToken)
    {
        Task<UpReport> run;
        lock (_gate)
        {
            if (_inFlight is null || _inFlight.IsCompleted)
            {
                _inFlight = RunAllAsync();
            }

            run = _inFlight;
        }

        return run.WaitAsync(cancellationToken);
    }

    private async Task<UpReport> RunAllAsync()
    {
        // Leave the caller's lock before any check starts.
        await Task.Yield();

        var subscriptions = _events.GetSubscriptions<MonitorUpCheck>();
        var timeout = _options.CurrentValue.CheckTimeout;
        var runs = new Task<UpCheckOutcome>[subscriptions.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = RunOneAsync(subscriptions[i], timeout);
        }

        return new UpReport(await Task.WhenAll(runs));
    }

    private async Task<UpCheckOutcome> RunOneAsync(EventSubscription<MonitorUpCheck> subscription, TimeSpan timeout)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
        var scope = _scopeFactory.CreateAsyncScope();
        var check = new MonitorUpCheck(scope.ServiceProvider);

        // Task.Run: a check that blocks synchronously before its first await must not hold up the others.
        var work = Task.Run(() => subscription.Handler(check, timeoutSource.Token), CancellationToken.None);
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
