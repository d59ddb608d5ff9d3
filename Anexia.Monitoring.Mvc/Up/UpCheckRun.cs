using System.Diagnostics;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// One run of a list of checks for <see cref="UpCheckExecutor"/>. A thread-pool work item (this object) starts the
/// checks one after the other: a check that gave its thread back at once last time (<see cref="UpCheck.WasQuick"/>)
/// runs on that thread until its first <c>await</c>, in the execution context of the caller, restored before the next
/// check starts; any other check but the last (after which this thread has nothing left to start) starts on a work
/// item of its own (<see cref="StartOne"/>). A check that completes synchronously is settled on the spot; one that goes
/// asynchronous is settled when it ends. One timer serves the run: until every check has started, it ticks every
/// <see cref="UpCheckExecutor.HandOffDelay"/> and, when no check has started since the last tick, queues this work item
/// again so that another thread starts the checks still waiting; then it waits for the time limit, which settles every
/// check not yet settled as timed out and cancels the checks' token.
/// </summary>
/// <remarks>
/// Each check is settled exactly once, by whoever moves its state from <c>Started</c> (or <c>Waiting</c>) to
/// <c>Settled</c> first: the check's own end or the time limit. A check that was still running when the time limit
/// settled it is recorded with the executor as still running until it really ends.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The checks' CancellationTokenSource has no timer (the run's ITimer is disposed when the run ends), so there is nothing to release; a check that outlives the run may still hold its token.")]
internal sealed class UpCheckRun : IThreadPoolWorkItem
{
    private const int Waiting = 0;
    private const int Started = 1;
    private const int Settled = 2;

    private readonly UpCheckExecutor _executor;
    private readonly IReadOnlyList<UpCheck> _checks;
    private readonly TimeSpan _timeout;
    private readonly long _startedAt;
    private readonly TaskCompletionSource<UpCheckOutcome[][]> _done = new();
    private readonly UpCheckOutcome[][] _outcomes;
    private readonly int[] _states;
    private readonly CancellationTokenSource _limit = new();
    private readonly ExecutionContext? _context;
    private readonly ITimer _timer;
    private readonly CancellationTokenRegistration _callerLink;

    // Written only when someone listens: what the time limit needs to end the span of a check it settles.
    private Activity?[]? _activities;

    // Written only by the time limit: the checks it settled while they were still running.
    private UpCheckExecutor.StuckCheck?[]? _stuck;

    private int _next;
    private int _pending;
    private int _loops = 1;
    private int _limitReached;
    private long _lastStartAt;

    public UpCheckRun(UpCheckExecutor executor, IReadOnlyList<UpCheck> checks, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _executor = executor;
        _checks = checks;
        _timeout = timeout;
        _outcomes = new UpCheckOutcome[checks.Count][];
        _states = new int[checks.Count];
        _pending = checks.Count;
        _startedAt = _lastStartAt = executor.TimeProvider.GetTimestamp();
        _context = ExecutionContext.Capture();
        // Created stopped, and started once this run is set up: its callback uses the fields.
        _timer = executor.TimeProvider.CreateTimer(static state => ((UpCheckRun)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (cancellationToken.CanBeCanceled)
        {
            // Register, not UnsafeRegister: the callback runs in this caller's context, restored afterwards, so the spans
            // it ends never become the current activity of the thread that cancels.
            _callerLink = cancellationToken.Register(static state => ((UpCheckRun)state!).OnLimit(), this);
        }

        ChangeTimer(Min(UpCheckExecutor.HandOffDelay, timeout));

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Each check's outcomes, in the list's order, once every check is settled.</summary>
    public Task<UpCheckOutcome[][]> Task => _done.Task;

    void IThreadPoolWorkItem.Execute()
    {
        // The caller's context (its Activity.Current, its AsyncLocals), or this thread's if the caller suppressed flow.
        var context = _context ?? ExecutionContext.Capture()!;
        ExecutionContext.Run(context, static state => ((UpCheckRun)state!).StartChecks(), this);
    }

    private void StartChecks()
    {
        var context = ExecutionContext.Capture()!;
        var count = _checks.Count;
        while (true)
        {
            var index = Interlocked.Increment(ref _next) - 1;
            if (index >= count)
            {
                return;
            }

            Volatile.Write(ref _lastStartAt, _executor.TimeProvider.GetTimestamp());
            if (index == count - 1)
            {
                WaitForTimeLimit();
            }
            else if (!StartsAtOnce(_checks[index]))
            {
                // A check not known to give its thread back at once (new, or slow or blocking last time) starts on a
                // work item of its own, as every check did before 1.1.1: this thread goes on with the checks after it.
                ThreadPool.UnsafeQueueUserWorkItem(new StartOne(this, index, context), preferLocal: false);
                continue;
            }

            Start(index);

            // Whatever the check changed in the ambient context (Activity.Current, AsyncLocals, a synchronization
            // context) stays with it.
            ExecutionContext.Restore(context);
            if (SynchronizationContext.Current is not null)
            {
                SynchronizationContext.SetSynchronizationContext(null);
            }
        }
    }

    /// <summary>
    /// Whether starting <paramref name="check"/> gives the thread back at once: it is switched off, still running from an
    /// earlier run (both settled on the spot), or gave its thread back within the hand-off delay last time.
    /// </summary>
    private bool StartsAtOnce(UpCheck check)
    {
        try
        {
            return check.WasQuick || !check.IsSwitchedOn() || _executor.IsStillRunning(check);
        }
        catch (Exception)
        {
            return true; // Start settles it with the error.
        }
    }

    private void Start(int index)
    {
        if (Interlocked.CompareExchange(ref _states[index], Started, Waiting) != Waiting)
        {
            return; // the time limit came first
        }

        try
        {
            StartStarted(index);
        }
        catch (Exception error)
        {
            // Not the check's own failure (that is an outcome): its settings switch, a log provider or a telemetry
            // listener threw before the check ran. Settled as an error all the same; this runs on a pool thread.
            SettleUnrun(index, [new UpCheckOutcome(UpCheckStatus.Error, error.Message)], telemetry: false);
        }
    }

    private void StartStarted(int index)
    {
        var check = _checks[index];
        if (!check.IsSwitchedOn())
        {
            SettleUnrun(index, UpCheckExecutor.OkOnly, telemetry: false);
            return;
        }

        if (_executor.IsStillRunning(check))
        {
            UpCheckExecutor.Log.CheckStillRunning(_executor.Logger, check.Name);
            SettleUnrun(index, [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out (still running from an earlier run)") { IsTimeout = true }], telemetry: true);
            return;
        }

        if (StartSpan(check) is { } activity)
        {
            var activities = Volatile.Read(ref _activities) ?? LazyInitializer.EnsureInitialized(ref _activities, () => new Activity?[_checks.Count]);
            Volatile.Write(ref activities[index], activity);
        }

        var started = _executor.TimeProvider.GetTimestamp();

        // The check's own scope is made only if it asks for it (MonitorUpCheck.Services).
        var upEvent = new MonitorUpCheck(_executor.ScopeFactory);
        Task<IReadOnlyList<string>> work;
        try
        {
            work = check.RunAsync(upEvent, _limit.Token);
        }
        catch (Exception error)
        {
            work = System.Threading.Tasks.Task.FromException<IReadOnlyList<string>>(error);
        }

        // Quick: it gave this thread back (returned, done or awaiting) within the hand-off delay. Written only when it
        // changes: every run on every core reads the check, and a write on each would bounce its cache line.
        var quick = _executor.TimeProvider.GetElapsedTime(started) < UpCheckExecutor.HandOffDelay;
        if (check.WasQuick != quick)
        {
            check.WasQuick = quick;
        }

        if (work.IsCompleted)
        {
            var disposal = upEvent.DisposeScopeAsync();
            if (disposal.IsCompletedSuccessfully)
            {
                Finish(index, work, started, disposalError: null);
                return;
            }

            _ = FinishAsync(index, work, disposal, started);
            return;
        }

        _ = FinishAfterAsync(index, work, upEvent, started);
    }

    /// <summary>The span of one check, named; null when nobody listens.</summary>
    private static Activity? StartSpan(UpCheck check)
    {
        var activity = AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.up.check");
        activity?.SetTag("anxmonitoring.check.name", check.Name);
        return activity;
    }

    /// <summary>A check that went asynchronous: waits for its end (however late), then disposes its scope.</summary>
    private async Task FinishAfterAsync(int index, Task<IReadOnlyList<string>> work, MonitorUpCheck upEvent, long started)
    {
        await ((Task)work).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ValueTask disposal;
        try
        {
            disposal = upEvent.DisposeScopeAsync();
        }
        catch (Exception error)
        {
            disposal = ValueTask.FromException(error);
        }

        await FinishAsync(index, work, disposal, started);
    }

    private async Task FinishAsync(int index, Task<IReadOnlyList<string>> work, ValueTask disposal, long started)
    {
        Exception? disposalError = null;
        try
        {
            await disposal.ConfigureAwait(false);
        }
        catch (Exception error)
        {
            disposalError = error;
        }

        Finish(index, work, started, disposalError);
    }

    private void Finish(int index, Task<IReadOnlyList<string>> work, long started, Exception? disposalError)
    {
        if (Interlocked.CompareExchange(ref _states[index], Settled, Started) != Started)
        {
            _ = work.Exception; // observed: it was reported as timed out
            EndLate(index);
            return;
        }

        // The span stored when the check started: the time limit, which would have ended it, did not settle the check.
        var activity = TakeActivity(index);
        UpCheckOutcome[] outcomes;
        try
        {
            outcomes = OutcomesOf(_checks[index], work, disposalError, activity);
        }
        catch (Exception error)
        {
            // A log provider threw while the outcome was logged.
            outcomes = [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }

        Record(_checks[index], outcomes, activity, _executor.TimeProvider.GetElapsedTime(started));
        Settle(index, outcomes);
    }

    /// <summary>
    /// A check settled without running it (switched off, still running from an earlier run, or its start failed);
    /// with <paramref name="telemetry"/>, a span and a duration of zero record the outcome, as for a check that ran. A
    /// span its failed start left behind is ended with it.
    /// </summary>
    private void SettleUnrun(int index, UpCheckOutcome[] outcomes, bool telemetry)
    {
        if (Interlocked.CompareExchange(ref _states[index], Settled, Started) != Started)
        {
            EndLate(index);
            return;
        }

        var activity = TakeActivity(index);
        if (telemetry)
        {
            try
            {
                activity ??= StartSpan(_checks[index]);
            }
            catch (Exception)
            {
                // A listener threw; the outcome stands without its span.
            }
        }

        if (activity is not null || telemetry)
        {
            Record(_checks[index], outcomes, activity, TimeSpan.Zero, measure: telemetry);
        }

        Settle(index, outcomes);
    }

    /// <summary>The span <see cref="StartStarted"/> stored for the time limit, taken by whoever ends it first.</summary>
    private Activity? TakeActivity(int index) =>
        Volatile.Read(ref _activities) is { } activities ? Interlocked.Exchange(ref activities[index], null) : null;

    /// <summary>A check the time limit settled while it was still running has ended now.</summary>
    private void EndLate(int index)
    {
        // The time limit may have settled it before its span was stored: that span is ended here, as timed out.
        if (TakeActivity(index) is { } unended)
        {
            Record(_checks[index], TimedOutLine(_checks[index]), unended, TimeSpan.Zero, measure: false);
        }

        var stuck = Volatile.Read(ref _stuck)?[index];
        if (stuck is not null)
        {
            stuck.End();
            _executor.Forget(_checks[index], stuck);
        }
    }

    private UpCheckOutcome[] OutcomesOf(UpCheck check, Task<IReadOnlyList<string>> work, Exception? disposalError, Activity? activity)
    {
        try
        {
            var lines = work.GetAwaiter().GetResult();
            if (disposalError is not null)
            {
                throw disposalError;
            }

            if (lines.Count == 0)
            {
                return UpCheckExecutor.OkOnly;
            }

            var outcomes = new UpCheckOutcome[lines.Count];
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] = Warned(check, lines[i]);
            }

            return outcomes;
        }
        catch (OperationCanceledException) when (_limit.IsCancellationRequested)
        {
            return TimedOut(check);
        }
        catch (MonitorUpWarningException warning)
        {
            return [Warned(check, warning.Message)];
        }
        catch (Exception error)
        {
            UpCheckExecutor.Log.CheckFailed(_executor.Logger, check.Name, SecretMasker.ForLog(error.ToString()));
            AnxMonitoringTelemetry.RecordException(activity, error);
            return [new UpCheckOutcome(UpCheckStatus.Error, error.Message)];
        }
    }

    private UpCheckOutcome Warned(UpCheck check, string message)
    {
        UpCheckExecutor.Log.CheckWarned(_executor.Logger, check.Name, SecretMasker.ForLog(message));
        return new UpCheckOutcome(UpCheckStatus.Warning, message);
    }

    private UpCheckOutcome[] TimedOut(UpCheck check)
    {
        UpCheckExecutor.Log.CheckTimedOut(_executor.Logger, check.Name, _timeout);
        return TimedOutLine(check);
    }

    private static UpCheckOutcome[] TimedOutLine(UpCheck check) =>
        [new UpCheckOutcome(UpCheckStatus.Error, $"{check.Name} timed out") { IsTimeout = true }];

    /// <summary>
    /// The check's span and (with <paramref name="measure"/>) duration, with its outcome: ok, warning, error or timeout.
    /// Never throws: a listener's failure costs the figure, not the run.
    /// </summary>
    private void Record(UpCheck check, UpCheckOutcome[] outcomes, Activity? activity, TimeSpan duration, bool measure = true)
    {
        try
        {
            RecordUnguarded(check, outcomes, activity, duration, measure);
        }
        catch (Exception)
        {
            // A telemetry listener threw; on a pool or timer thread that would end the process.
        }
    }

    private void RecordUnguarded(UpCheck check, UpCheckOutcome[] outcomes, Activity? activity, TimeSpan duration, bool measure)
    {
        var outcome = "ok";
        foreach (var line in outcomes)
        {
            if (line.Status == UpCheckStatus.Error)
            {
                outcome = line.IsTimeout ? "timeout" : "error";
                break;
            }

            if (line.Status == UpCheckStatus.Warning)
            {
                outcome = "warning";
            }
        }

        if (activity is not null)
        {
            if (outcome is "timeout" or "error")
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }

            activity.SetTag("anxmonitoring.check.outcome", outcome);
            activity.SetTag("anxmonitoring.check.timed_out", outcome == "timeout");
            activity.Dispose();
        }

        if (!measure)
        {
            return;
        }

        _executor.Telemetry?.CheckDuration.Record(
            duration.TotalSeconds,
            new KeyValuePair<string, object?>("anxmonitoring.check.name", check.Name),
            new KeyValuePair<string, object?>("anxmonitoring.check.outcome", outcome));
    }

    /// <summary>Records the outcome of a check whose state this caller has just moved to <c>Settled</c>.</summary>
    private void Settle(int index, UpCheckOutcome[] outcomes)
    {
        _outcomes[index] = outcomes;
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _timer.Dispose();
            _callerLink.Unregister(); // not Dispose: that would wait for the caller's cancellation callback, if it is running
            _done.TrySetResult(_outcomes);
        }
    }

    /// <summary>Every check has started (or is starting): the timer now waits for the time limit.</summary>
    private void WaitForTimeLimit()
    {
        var remaining = _timeout - _executor.TimeProvider.GetElapsedTime(_startedAt);
        if (remaining <= TimeSpan.Zero)
        {
            OnLimit();
            return;
        }

        ChangeTimer(remaining);
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _limitReached) != 0)
        {
            return;
        }

        var remaining = _timeout - _executor.TimeProvider.GetElapsedTime(_startedAt);
        if (remaining <= TimeSpan.Zero)
        {
            OnLimit();
            return;
        }

        if (Volatile.Read(ref _next) >= _checks.Count)
        {
            // Every check has been taken to start: only the time limit is left to wait for.
            ChangeTimer(remaining);
            return;
        }

        // A check has held the starting thread since the last tick (or the work item has not run yet): another work
        // item takes over the checks still waiting. At most one per check.
        if (_executor.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastStartAt)) >= UpCheckExecutor.HandOffDelay)
        {
            HandOff();
        }

        ChangeTimer(Min(UpCheckExecutor.HandOffDelay, remaining));
    }

    /// <summary>Queues this work item once more, so that another thread starts the checks still waiting; at most one per check.</summary>
    private void HandOff()
    {
        if (Interlocked.Increment(ref _loops) <= _checks.Count)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void ChangeTimer(TimeSpan dueTime)
    {
        try
        {
            // Whole milliseconds, rounded up: a timer given less than one would fire at once, again and again.
            _timer.Change(TimeSpan.FromMilliseconds(Math.Ceiling(dueTime.TotalMilliseconds)), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The run has ended meanwhile.
        }
    }

    /// <summary>The time limit (or the caller's cancellation): every check not settled yet is settled as timed out.</summary>
    private void OnLimit()
    {
        if (Interlocked.Exchange(ref _limitReached, 1) != 0)
        {
            return;
        }

        var count = _checks.Count;
        Interlocked.Exchange(ref _next, count); // nothing more starts
        for (var index = 0; index < count; index++)
        {
            var check = _checks[index];
            if (Interlocked.CompareExchange(ref _states[index], Settled, Waiting) == Waiting)
            {
                SettleTimedOut(index, check);
                continue;
            }

            if (Volatile.Read(ref _states[index]) != Started)
            {
                continue;
            }

            // Recorded before the state changes, so that the check's own end, if it comes now, finds it.
            var stuck = new UpCheckExecutor.StuckCheck();
            LazyInitializer.EnsureInitialized(ref _stuck, () => new UpCheckExecutor.StuckCheck?[count])[index] = stuck;
            if (Interlocked.CompareExchange(ref _states[index], Settled, Started) == Started)
            {
                _executor.MarkStillRunning(check, stuck);
                _executor.Forget(check, stuck); // in case it ended in between
                SettleTimedOut(index, check);
            }
        }

        try
        {
            _limit.Cancel();
        }
        catch (AggregateException)
        {
            // A callback a check registered on its token threw: the check is already reported as timed out, and this
            // runs on a timer thread, where an exception would end the process.
        }
    }

    private void SettleTimedOut(int index, UpCheck check)
    {
        UpCheckOutcome[] outcomes;
        try
        {
            outcomes = TimedOut(check);
        }
        catch (Exception)
        {
            outcomes = TimedOutLine(check); // a log provider threw; this runs on the timer thread
        }

        Record(check, outcomes, TakeActivity(index), _executor.TimeProvider.GetElapsedTime(_startedAt));
        Settle(index, outcomes);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Starts one check on a thread of its own, in the run's execution context.</summary>
    private sealed class StartOne(UpCheckRun run, int index, ExecutionContext context) : IThreadPoolWorkItem
    {
        public void Execute() => ExecutionContext.Run(context, static state => ((StartOne)state!).StartCheck(), this);

        private void StartCheck() => run.Start(index);
    }
}
