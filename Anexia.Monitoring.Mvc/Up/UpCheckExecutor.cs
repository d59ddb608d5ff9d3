using System.Collections.Concurrent;
using Anexia.Monitoring.Mvc.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs a list of <see cref="UpCheck"/>s concurrently, each in a DI scope of its own (made only if the check asks for
/// it), all under one time limit, and returns what each reported, in the list's order. One instance for the process,
/// used by the <c>up</c> endpoint and by the health check that <c>AddAnxMonitoringChecks()</c> adds.
/// <para>
/// How a run starts its checks (<see cref="UpCheckRun"/>): one thread-pool work item starts them one after the other.
/// A check that gave its thread back within <see cref="HandOffDelay"/> last time runs on that thread until its first
/// <c>await</c>, so a check that completes synchronously costs no task or thread switch of its own; any other check
/// (new, or slow or blocking last time) starts on a work item of its own. If a check that was quick holds the thread
/// this time, a timer hands the checks not yet started to another work item, so each check still starts at once and
/// all share the one time limit. The calling thread never runs a check.
/// </para>
/// <para>
/// A check still running from an earlier run (it outlived its time limit and ignores its token, or blocks its
/// thread) is not started again: it is reported as timed out at once, until it really ends. So a check that never
/// returns holds one thread for the life of the process, not one more per run.
/// </para>
/// </summary>
internal sealed partial class UpCheckExecutor
{
    /// <summary>How long one check may hold the thread that starts the checks before the rest move to another thread.</summary>
    internal static readonly TimeSpan HandOffDelay = TimeSpan.FromMilliseconds(1);

    internal static readonly UpCheckOutcome[] OkOnly = [UpCheckOutcome.Ok];

    // The checks whose run outlived its time limit and has not ended yet.
    private readonly ConcurrentDictionary<UpCheck, StuckCheck> _stillRunning = new(ReferenceEqualityComparer.Instance);

    public UpCheckExecutor(IServiceScopeFactory scopeFactory, TimeProvider timeProvider, ILogger<UpCheckExecutor> logger, AnxMonitoringTelemetry? telemetry = null)
    {
        ScopeFactory = scopeFactory;
        TimeProvider = timeProvider;
        Logger = logger;
        Telemetry = telemetry;
    }

    internal IServiceScopeFactory ScopeFactory { get; }

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    internal AnxMonitoringTelemetry? Telemetry { get; }

    /// <summary>
    /// Runs every check that is switched on; <paramref name="cancellationToken"/> ends the run early, the
    /// unfinished checks then count as timed out. Each check yields one outcome, or one per line it reports.
    /// </summary>
    public Task<UpCheckOutcome[][]> RunAsync(
        IReadOnlyList<UpCheck> checks,
        TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        if (checks.Count == 0)
        {
            return Task.FromResult(Array.Empty<UpCheckOutcome[]>());
        }

        return new UpCheckRun(this, checks, timeout, cancellationToken).Task;
    }

    /// <summary>True if <paramref name="check"/> is still running from an earlier run that timed out.</summary>
    internal bool IsStillRunning(UpCheck check) => _stillRunning.TryGetValue(check, out var stuck) && !stuck.HasEnded;

    /// <summary>Records that a run of <paramref name="check"/> outlived its time limit; it ends when <paramref name="stuck"/> does.</summary>
    internal void MarkStillRunning(UpCheck check, StuckCheck stuck)
    {
        // Two runs that started it together (up and the host's /health) may both leave it behind: it then counts as
        // running until both have ended.
        _stillRunning.AddOrUpdate(check, stuck, (_, earlier) =>
        {
            stuck.Earlier = earlier.HasEnded ? null : earlier;
            return stuck;
        });
    }

    /// <summary>Forgets <paramref name="stuck"/> once it and the runs it waits for have ended.</summary>
    internal void Forget(UpCheck check, StuckCheck stuck)
    {
        // The entry may be a later run's marker waiting for this one: it is removed once it has ended too.
        if (stuck.HasEnded && _stillRunning.TryGetValue(check, out var current) && current.HasEnded)
        {
            _stillRunning.TryRemove(new KeyValuePair<UpCheck, StuckCheck>(check, current));
        }
    }

    /// <summary>A run of a check that outlived its time limit, until it ends.</summary>
    internal sealed class StuckCheck
    {
        private volatile bool _ended;

        public StuckCheck? Earlier { get; set; }

        public bool HasEnded => _ended && (Earlier?.HasEnded ?? true);

        public void End() => _ended = true;
    }

    internal static partial class Log
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
