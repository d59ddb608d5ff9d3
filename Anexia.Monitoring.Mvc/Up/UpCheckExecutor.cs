using System.Collections.Concurrent;
using System.Diagnostics;
using Anexia.Monitoring.Mvc.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs a list of <see cref="UpCheck"/>s concurrently, each on the thread pool and in a DI scope of its own, all under
/// one time limit, and returns what each reported, in the list's order. One instance for the process, used by the
/// <c>up</c> endpoint and by the health check that <c>AddAnxMonitoringChecks()</c> adds.
/// A check still running from an earlier run (it outlived its time limit and ignores its token, or blocks its thread)
/// is not started again: it is reported as timed out at once, until it really ends. So a check that never returns
/// holds one thread for the life of the process, not one more per run.
/// </summary>
internal sealed partial class UpCheckExecutor
{
    private static readonly UpCheckOutcome[] OkOnly = [UpCheckOutcome.Ok];

    private readonly IServiceScopeFactory _scopeFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // The runs that outlived their time limit and have not ended yet, per check.
    private readonly ConcurrentDictionary<UpCheck, Task> _stillRunning = new(ReferenceEqualityComparer.Instance);

    private readonly AnxMonitoringTelemetry? _telemetry;

    public UpCheckExecutor(IServiceScopeFactory scopeFactory, TimeProvider timeProvider, ILogger<UpCheckExecutor> logger, AnxMonitoringTelemetry? telemetry = null)
    {
        _telemetry = telemetry;
        _scopeFactory = scopeFactory;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Runs every check that is switched on; <paramref name="cancellationToken"/> ends the run early, the
    /// unfinished checks then count as timed out. Each check yields one outcome, or one per line it reports.
    /// </summary>
    public async Task<UpCheckOutcome[][]> RunAsync(
        IReadOnlyList<UpCheck> checks,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        // Every check starts now and has the same limit: one timer for the whole run.
        using var timeoutSource = new CancellationTokenSource(timeout, _timeProvider);
        using var link = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeoutSource);

        var runs = new Task<UpCheckOutcome[]>[checks.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            var upCheck = checks[i];
            runs[i] = !upCheck.IsSwitchedOn()
                ? Task.FromResult(OkOnly)
                : RunOneAsync(upCheck, timeout, timeoutSource);
        }

        return await Task.WhenAll(runs);
    }

    private async Task<UpCheckOutcome[]> RunOneAsync(UpCheck upCheck, TimeSpan timeout, CancellationTokenSource timeoutSource)
    {
        using var activity = AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.up.check");
        activity?.SetTag("anxmonitoring.check.name", upCheck.Name);
        var started = _timeProvider.GetTimestamp();
        var outcomes = await RunMeasuredAsync(upCheck, timeout, timeoutSource, activity);
        var outcome = OutcomeOf(outcomes, activity);
        activity?.SetTag("anxmonitoring.check.outcome", outcome);
        activity?.SetTag("anxmonitoring.check.timed_out", outcome == "timeout");
        _telemetry?.CheckDuration.Record(
            _timeProvider.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("anxmonitoring.check.name", upCheck.Name),
            new KeyValuePair<string, object?>("anxmonitoring.check.outcome", outcome));
        return outcomes;
    }

    private static string OutcomeOf(UpCheckOutcome[] outcomes, Activity? activity)
    {
        if (outcomes.Any(o => o.Status == UpCheckStatus.Error))
        {
            var timedOut = outcomes.Any(o => o.Status == UpCheckStatus.Error && o.IsTimeout);
            activity?.SetStatus(ActivityStatusCode.Error);
            return timedOut ? "timeout" : "error";
        }

        return outcomes.Any(o => o.Status == UpCheckStatus.Warning) ? "warning" : "ok";
    }

    private async Task<UpCheckOutcome[]> RunMeasuredAsync(UpCheck upCheck, TimeSpan timeout, CancellationTokenSource timeoutSource, Activity? activity)
    {
        if (_stillRunning.TryGetValue(upCheck, out var earlier) && !earlier.IsCompleted)
        {
            Log.CheckStillRunning(_logger, upCheck.Name);
            return [new UpCheckOutcome(UpCheckStatus.Error, $"{upCheck.Name} timed out (still running from an earlier run)") { IsTimeout = true }];
        }

        // The check's own scope is made only if it asks for it (MonitorUpCheck.Services): a check that needs no
        // scoped service costs none.
        var upEvent = new MonitorUpCheck(_scopeFactory);

        // Task.Run: a check that blocks synchronously before its first await must not hold up the others.
        var token = timeoutSource.Token;
        var work = Task.Run(() => upCheck.RunAsync(upEvent, token), CancellationToken.None);
        try
        {
            var lines = await work.WaitAsync(token);
            return lines.Count > 0 ? [.. lines.Select(line => Warned(upCheck, line))] : OkOnly;
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            Log.CheckTimedOut(_logger, upCheck.Name, timeout);
            return [new UpCheckOutcome(UpCheckStatus.Error, $"{upCheck.Name} timed out") { IsTimeout = true }];
        }
        catch (MonitorUpWarningException warning)
        {
            return [Warned(upCheck, warning.Message)];
        }
        catch (Exception error)
        {
            Log.CheckFailed(_logger, upCheck.Name, SecretMasker.Apply(error.ToString()));
            AnxMonitoringTelemetry.RecordException(activity, error);
            return [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }
        finally
        {
            // A check that ignored its token keeps its scope until it really ends.
            if (work.IsCompleted)
            {
                await upEvent.DisposeScopeAsync();
            }
            else
            {
                // Until it ends, later runs report it as still running instead of starting it again. Two runs that
                // started it together (up and the host's /health) may both leave it behind: the entry then ends only
                // when both have.
                var stuck = _stillRunning.AddOrUpdate(upCheck, work, (_, earlier) => earlier.IsCompleted ? work : Task.WhenAll(earlier, work));
                _ = stuck.ContinueWith(
                    (ended, state) => ((ConcurrentDictionary<UpCheck, Task>)state!)
                        .TryRemove(new KeyValuePair<UpCheck, Task>(upCheck, ended)),
                    _stillRunning,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                _ = work.ContinueWith(
                    static (late, state) =>
                    {
                        _ = late.Exception; // observed: it was already reported as a time-out
                        return ((MonitorUpCheck)state!).DisposeScopeAsync().AsTask();
                    },
                    upEvent,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default).Unwrap();
            }
        }
    }

    private UpCheckOutcome Warned(UpCheck upCheck, string message)
    {
        Log.CheckWarned(_logger, upCheck.Name, SecretMasker.Apply(message));
        return new UpCheckOutcome(UpCheckStatus.Warning, message);
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
