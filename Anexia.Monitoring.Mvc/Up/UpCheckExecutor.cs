using System.Collections.Concurrent;
using System.Diagnostics;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs a list of <see cref="UpCheck"/>s concurrently, each on the thread pool, under one time limit, and returns what
/// each reported, in the list's order. A check's DI scope is made only when it asks for one. A check still running
/// from an earlier run (it outlived its time limit and ignores its token, or blocks its thread) is not started again:
/// it is reported as timed out at once until it really ends, so it holds one thread, not one more per run. One
/// instance for the process, used by <c>up</c> and by the health check of <c>AddAnxMonitoringChecks()</c>.
/// </summary>
internal sealed partial class UpCheckExecutor
{
    private static readonly UpCheckOutcome[] OkOnly = [UpCheckOutcome.Ok];

    private readonly IServiceScopeFactory _scopeFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AnxMonitoringTelemetry? _telemetry;

    // The runs that outlived their time limit and have not ended yet, per check.
    private readonly ConcurrentDictionary<UpCheck, Task> _stillRunning = new(ReferenceEqualityComparer.Instance);

    public UpCheckExecutor(IServiceScopeFactory scopeFactory, TimeProvider time, ILogger<UpCheckExecutor> logger, AnxMonitoringTelemetry? telemetry = null)
    {
        _scopeFactory = scopeFactory;
        _time = time;
        _logger = logger;
        _telemetry = telemetry;
    }

    /// <summary>
    /// Runs every check that is switched on; <paramref name="cancellationToken"/> ends the run early, the unfinished
    /// checks then count as timed out. Each check yields one outcome, or one per line it reports.
    /// </summary>
    public async Task<UpCheckOutcome[][]> RunAsync(IReadOnlyList<UpCheck> checks, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = new CancellationTokenSource();
        using var timer = _time.CreateTimer(static state => CancelQuietly((CancellationTokenSource)state!), limit, timeout, Timeout.InfiniteTimeSpan);
        using var link = cancellationToken.UnsafeRegister(static state => CancelQuietly((CancellationTokenSource)state!), limit);
        var runs = new Task<UpCheckOutcome[]>[checks.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = RunOneAsync(checks[i], timeout, limit);
        }

        return await Task.WhenAll(runs);
    }

    /// <summary>Ends the checks' token; a callback a check registered on it that throws must not end the process.</summary>
    private static void CancelQuietly(CancellationTokenSource limit)
    {
        try
        {
            limit.Cancel();
        }
        catch (Exception ex) when (ex is AggregateException or ObjectDisposedException)
        {
            // The checks count as timed out all the same.
        }
    }

    private async Task<UpCheckOutcome[]> RunOneAsync(UpCheck check, TimeSpan timeout, CancellationTokenSource limit)
    {
        try
        {
            if (!check.IsSwitchedOn())
            {
                return OkOnly;
            }
        }
        catch (Exception error)
        {
            return [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }

        using var activity = AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.up.check");
        activity?.SetTag("anxmonitoring.check.name", check.Name);
        var started = _time.GetTimestamp();
        UpCheckOutcome[] outcomes;
        try
        {
            outcomes = await OutcomesAsync(check, timeout, limit, activity);
        }
        catch (Exception error)
        {
            // Not the check's failure (that is an outcome): a log provider threw while its outcome was logged.
            outcomes = [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }

        Record(check, outcomes, activity, _time.GetElapsedTime(started));
        return outcomes;
    }

    private async Task<UpCheckOutcome[]> OutcomesAsync(UpCheck check, TimeSpan timeout, CancellationTokenSource limit, Activity? activity)
    {
        if (_stillRunning.TryGetValue(check, out var earlier) && !earlier.IsCompleted)
        {
            Quietly(() => Log.CheckStillRunning(_logger, check.Name));
            return [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out (still running from an earlier run)") { IsTimeout = true }];
        }

        var upEvent = new MonitorUpCheck(_scopeFactory);
        var token = limit.Token;

        // On the pool: a check that blocks before its first await must not hold up the others.
        var work = Task.Run(() => check.RunAsync(upEvent, token), CancellationToken.None);
        try
        {
            var lines = await work.WaitAsync(token);
            await upEvent.DisposeScopeAsync();
            return lines.Count > 0 ? [.. lines.Select(line => Warned(check, line))] : OkOnly;
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            Quietly(() => Log.CheckTimedOut(_logger, check.Name, timeout));

            if (work.IsCompleted)
            {
                await DisposeQuietlyAsync(upEvent);
            }
            else
            {
                LeaveRunning(check, work, upEvent);
            }

            return [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out") { IsTimeout = true }];
        }
        catch (MonitorUpWarningException warning)
        {
            await upEvent.DisposeScopeAsync();
            return [Warned(check, warning.Message)];
        }
        catch (Exception error)
        {
            await DisposeQuietlyAsync(upEvent);
            var text = SecretMasker.ForLog(error.ToString());
            Log.CheckFailed(_logger, check.Name, text);
            AnxMonitoringTelemetry.RecordException(activity, error);
            return [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }
    }

    /// <summary>
    /// A check that outlived its time limit: later runs report it as still running until it ends, then its scope is
    /// disposed. Two runs that left it behind together (up and the host's /health) both have to end.
    /// </summary>
    private void LeaveRunning(UpCheck check, Task work, MonitorUpCheck upEvent)
    {
        var running = _stillRunning.AddOrUpdate(check, work, (_, earlier) => earlier.IsCompleted ? work : Task.WhenAll(earlier, work));
        _ = running.ContinueWith(
            (ended, state) => ((ConcurrentDictionary<UpCheck, Task>)state!).TryRemove(new KeyValuePair<UpCheck, Task>(check, ended)),
            _stillRunning,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        _ = work.ContinueWith(
            static (late, state) =>
            {
                _ = late.Exception; // observed: it was reported as timed out
                return DisposeQuietlyAsync((MonitorUpCheck)state!);
            },
            upEvent,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>Logs a time-out; a log provider that throws does not change the outcome.</summary>
    private static void Quietly(Action log)
    {
        try
        {
            log();
        }
        catch (Exception)
        {
            // The check timed out all the same.
        }
    }

    private static async Task DisposeQuietlyAsync(MonitorUpCheck upEvent)
    {
        try
        {
            await upEvent.DisposeScopeAsync();
        }
        catch (Exception)
        {
            // The check's own outcome stands; a scope that fails to dispose is the host's services' problem.
        }
    }

    private UpCheckOutcome Warned(UpCheck check, string message)
    {
        var text = SecretMasker.ForLog(message);
        Log.CheckWarned(_logger, check.Name, text);
        return new UpCheckOutcome(UpCheckStatus.Warning, message);
    }

    /// <summary>The check's span and duration with its outcome (ok, warning, error, timeout); a listener that throws costs the figure only.</summary>
    private void Record(UpCheck check, UpCheckOutcome[] outcomes, Activity? activity, TimeSpan duration)
    {
        var outcome = outcomes.Any(o => o.Status == UpCheckStatus.Error)
            ? outcomes.Any(o => o.IsTimeout) ? "timeout" : "error"
            : outcomes.Any(o => o.Status == UpCheckStatus.Warning) ? "warning" : "ok";
        try
        {
            if (outcome is "error" or "timeout")
            {
                activity?.SetStatus(ActivityStatusCode.Error);
            }

            activity?.SetTag("anxmonitoring.check.outcome", outcome);
            activity?.SetTag("anxmonitoring.check.timed_out", outcome == "timeout");
            _telemetry?.CheckDuration.Record(
                duration.TotalSeconds,
                new KeyValuePair<string, object?>("anxmonitoring.check.name", check.Name),
                new KeyValuePair<string, object?>("anxmonitoring.check.outcome", outcome));
        }
        catch (Exception)
        {
            // A telemetry listener threw.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 101, EventName = "UpCheckWarned", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' reported a warning: {WarningMessage}")]
        public static partial void CheckWarned(ILogger logger, string checkName, string warningMessage);

        // The exception's text (type, message, stack, inner exceptions) with credentials masked, not the exception
        // object itself: a logging provider would write its message as it is.
        [LoggerMessage(EventId = 102, EventName = "UpCheckFailed", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' reported an error: {Error}")]
        public static partial void CheckFailed(ILogger logger, string checkName, string error);

        [LoggerMessage(EventId = 103, EventName = "UpCheckTimedOut", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' did not finish within {CheckTimeout}; reported as timed out.")]
        public static partial void CheckTimedOut(ILogger logger, string checkName, TimeSpan checkTimeout);

        [LoggerMessage(EventId = 106, EventName = "UpCheckStillRunning", Level = LogLevel.Debug,
            Message = "Up check '{CheckName}' is still running from an earlier run that timed out; not started again, reported as timed out.")]
        public static partial void CheckStillRunning(ILogger logger, string checkName);
    }
}
