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
internal sealed partial class UpCheckExecutor(IServiceScopeFactory scopeFactory, TimeProvider time, ILogger<UpCheckExecutor> logger, AnxMonitoringTelemetry? telemetry = null)
{
    private static readonly UpCheckOutcome[] OkOnly = [UpCheckOutcome.Ok];

    private readonly IServiceScopeFactory _scopeFactory = scopeFactory;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly AnxMonitoringTelemetry? _telemetry = telemetry;

    // The runs that outlived their time limit and have not ended yet, per check.
    private readonly ConcurrentDictionary<UpCheck, Task> _stillRunning = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Runs every check that is switched on; <paramref name="cancellationToken"/> ends the run early, the unfinished
    /// checks then count as timed out. Each check yields one outcome, or one per line it reports.
    /// </summary>
    public async Task<UpCheckOutcome[][]> RunAsync(IReadOnlyList<UpCheck> checks, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // Two tokens: the run waits on the deadline, which nothing of the checks' is registered on; the checks get
        // their own, cancelled on a pool thread when the deadline passes, as a callback a check registered on it may
        // block (a database driver cancelling on a hung server) or throw.
        var run = new Run(new CancellationTokenSource(), new CancellationTokenSource());
        using var timer = _time.CreateTimer(static state => ((Run)state!).End(), run, timeout, Timeout.InfiniteTimeSpan);
        using var link = cancellationToken.UnsafeRegister(static state => ((Run)state!).End(), run);
        var outcomes = await Task.WhenAll(checks.Select(check => RunOneAsync(check, timeout, run)));
        run.Finished();
        return outcomes;
    }

    private async Task<UpCheckOutcome[]> RunOneAsync(UpCheck check, TimeSpan timeout, Run run)
    {
        Activity? activity = null;
        UpCheckOutcome[] outcomes;
        var started = _time.GetTimestamp();
        try
        {
            if (!check.IsSwitchedOn())
            {
                return OkOnly;
            }

            activity = AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.up.check");
            activity?.SetTag("anxmonitoring.check.name", check.Name);
            outcomes = await OutcomesAsync(check, timeout, run, activity);
        }
        catch (Exception error)
        {
            // Not the check's own failure (that is an outcome): its settings switch, a log provider or a telemetry
            // listener threw.
            outcomes = [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }

        Record(check, outcomes, activity, _time.GetElapsedTime(started));
        Quietly(() => activity?.Dispose());
        return outcomes;
    }

    private async Task<UpCheckOutcome[]> OutcomesAsync(UpCheck check, TimeSpan timeout, Run run, Activity? activity)
    {
        if (_stillRunning.TryGetValue(check, out var earlier) && !earlier.IsCompleted)
        {
            Quietly(() => Log.CheckStillRunning(_logger, check.Name));
            return [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out (still running from an earlier run)") { IsTimeout = true }];
        }

        if (run.Deadline.IsCancellationRequested)
        {
            return TimedOut(check, timeout);
        }

        // On the pool: a check that blocks before its first await must not hold up the others. Its scope is disposed
        // as part of its run, so a disposal that hangs is bounded by the time limit like the check.
        var upEvent = new MonitorUpCheck(_scopeFactory);
        var token = run.Checks.Token;
        var work = Task.Run(
            async () =>
            {
                try
                {
                    return await check.RunAsync(upEvent, token);
                }
                finally
                {
                    await upEvent.DisposeScopeAsync();
                }
            },
            CancellationToken.None);
        try
        {
            var lines = await work.WaitAsync(run.Deadline.Token);
            return Warned(check, lines);
        }
        catch (OperationCanceledException) when (run.Deadline.IsCancellationRequested)
        {
            // Off the thread that ended the run: a check that honours its token ends in the meantime.
            await Task.Yield();
            if (work.IsCompleted)
            {
                _ = work.Exception;
            }
            else
            {
                LeaveRunning(check, work);
            }

            return TimedOut(check, timeout);
        }
        catch (MonitorUpWarningException warning)
        {
            return Warned(check, [warning.Message]);
        }
        catch (Exception error)
        {
            check.LastWarnings = null;
            var text = SecretMasker.ForLog(error.ToString());
            Log.CheckFailed(_logger, check.Name, text);
            AnxMonitoringTelemetry.RecordException(activity, error);
            return [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }
    }

    private UpCheckOutcome[] TimedOut(UpCheck check, TimeSpan timeout)
    {
        check.LastWarnings = null;
        Quietly(() => Log.CheckTimedOut(_logger, check.Name, timeout));
        return [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out") { IsTimeout = true }];
    }

    /// <summary>
    /// A check that outlived its time limit: later runs report it as still running until it ends. Two runs that left
    /// it behind together (up and the host's /health) both have to end.
    /// </summary>
    private void LeaveRunning(UpCheck check, Task work)
    {
        var running = _stillRunning.AddOrUpdate(check, work, (_, earlier) => earlier.IsCompleted ? work : Task.WhenAll(earlier, work));
        _ = running.ContinueWith(
            (ended, state) =>
            {
                _ = ended.Exception; // observed: it was reported as timed out
                ((ConcurrentDictionary<UpCheck, Task>)state!).TryRemove(new KeyValuePair<UpCheck, Task>(check, ended));
            },
            _stillRunning,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Logs, or records a span or a figure; a log provider or telemetry listener that throws does not change the outcome.</summary>
    internal static void Quietly(Action work)
    {
        try
        {
            work();
        }
        catch (Exception)
        {
            // The outcome stands all the same.
        }
    }

    /// <summary>
    /// The outcome of a check that returned: OK without lines, else a warning per line. A dashboard probes every few
    /// seconds, so the lines a check repeats from its last run are logged at Debug, and only a change at Warning.
    /// </summary>
    private UpCheckOutcome[] Warned(UpCheck check, IReadOnlyList<string> lines)
    {
        var joined = lines.Count == 0 ? null : string.Join('\n', lines);
        var again = joined is not null && joined == check.LastWarnings;
        check.LastWarnings = joined;
        foreach (var line in lines)
        {
            var text = SecretMasker.ForLog(line);
            if (again)
            {
                Log.CheckWarnedAgain(_logger, check.Name, text);
            }
            else
            {
                Log.CheckWarned(_logger, check.Name, text);
            }
        }

        return lines.Count == 0 ? OkOnly : [.. lines.Select(line => new UpCheckOutcome(UpCheckStatus.Warning, line))];
    }

    /// <summary>The check's span and duration with its outcome (ok, warning, error, timeout); a listener that throws costs the figure only.</summary>
    private void Record(UpCheck check, UpCheckOutcome[] outcomes, Activity? activity, TimeSpan duration)
    {
        var outcome = outcomes.Any(o => o.Status == UpCheckStatus.Error)
            ? outcomes.Any(o => o.IsTimeout) ? "timeout" : "error"
            : outcomes.Any(o => o.Status == UpCheckStatus.Warning) ? "warning" : "ok";
        Quietly(() =>
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
        });
    }

    /// <summary>The two tokens of one run: the deadline the run waits on, and the checks' own.</summary>
    private sealed record Run(CancellationTokenSource Deadline, CancellationTokenSource Checks)
    {
        /// <summary>The time limit passed or the caller gave up: the checks' token is cancelled on a pool thread.</summary>
        public void End()
        {
            // The deadline first: a check that fails on its cancelled token is then timed out, not an error.
            Cancel(Deadline);
            ThreadPool.UnsafeQueueUserWorkItem(static checks => Cancel(checks), Checks, preferLocal: false);
        }

        /// <summary>Every outcome is in. The checks' source is left to <see cref="End"/> when it is cancelling it.</summary>
        public void Finished()
        {
            var ended = Deadline.IsCancellationRequested;
            Deadline.Dispose();
            if (!ended)
            {
                Checks.Dispose();
            }
        }

        private static void Cancel(CancellationTokenSource source)
        {
            try
            {
                source.Cancel();
            }
            catch (Exception ex) when (ex is AggregateException or ObjectDisposedException)
            {
                // A callback a check registered threw, or the run ended at that moment: the checks timed out all the same.
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 101, EventName = "UpCheckWarned", Level = LogLevel.Warning,
            Message = "Up check '{CheckName}' reported a warning: {WarningMessage}")]
        public static partial void CheckWarned(ILogger logger, string checkName, string warningMessage);

        [LoggerMessage(EventId = 107, EventName = "UpCheckWarnedAgain", Level = LogLevel.Debug,
            Message = "Up check '{CheckName}' reported the same warning as in its last run: {WarningMessage}")]
        public static partial void CheckWarnedAgain(ILogger logger, string checkName, string warningMessage);

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
