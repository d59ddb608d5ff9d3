using System.Diagnostics;
using Anexia.Monitoring.Mvc.Telemetry;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs the <c>up</c> checks of every <see cref="IUpCheckProvider"/> through <see cref="UpCheckExecutor"/>. Requests
/// that arrive while a run is in flight share it, and a finished run answers further requests for
/// <see cref="AnxMonitoringOptions.UpCacheLifetime"/>, so a flood of probes cannot multiply the load on the databases.
/// </summary>
internal sealed class UpCheckRunner(
    IEnumerable<IUpCheckProvider> providers,
    UpCheckExecutor executor,
    IOptions<AnxMonitoringOptions> options,
    TimeProvider timeProvider,
    AnxMonitoringTelemetry? telemetry = null)
{
    private readonly IReadOnlyList<IUpCheckProvider> _providers = [.. providers];
    private readonly UpCheckExecutor _executor = executor;
    private readonly IOptions<AnxMonitoringOptions> _options = options;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly AnxMonitoringTelemetry? _telemetry = telemetry;
    private readonly Lock _gate = new();
    private Task<UpReport>? _inFlight;
    private FinishedRun? _lastRun;

    /// <summary>
    /// Returns the report of a run that ended within the cache lifetime, of the run in flight, or of a new run.
    /// The run itself is bounded by the check time limit and is not cancelled when one waiting request goes
    /// away; <paramref name="cancellationToken"/> only stops this caller's wait.
    /// </summary>
    public Task<UpReport> RunAsync(CancellationToken cancellationToken) => RunAsync(reuseFinishedRun: true, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(CancellationToken)"/>; with <paramref name="reuseFinishedRun"/> false a finished run is
    /// not reused (a run in flight still is), so the checks run again.
    /// </summary>
    internal Task<UpReport> RunAsync(bool reuseFinishedRun, CancellationToken cancellationToken)
    {
        var lifetime = _options.Value.UpCacheLifetime;
        if (reuseFinishedRun && lifetime > TimeSpan.Zero && Volatile.Read(ref _lastRun) is { } last && _timeProvider.GetElapsedTime(last.EndedAt) < lifetime)
        {
            CountRun("reused");
            return last.Report;
        }

        TaskCompletionSource<UpReport> started;
        lock (_gate)
        {
            if (_inFlight is { IsCompleted: false } running)
            {
                CountRun("reused");
                return running.WaitAsync(cancellationToken);
            }

            started = new TaskCompletionSource<UpReport>(TaskCreationOptions.RunContinuationsAsynchronously);
            _inFlight = started.Task;
        }

        // Started outside the lock; the checks themselves run on the thread pool, so this caller only queues them. This
        // caller continues on the thread that ends the run; the requests sharing it each on a thread of their own.
        CountRun("run");
        return CompleteAsync(started).WaitAsync(cancellationToken);
    }

    private async Task<UpReport> CompleteAsync(TaskCompletionSource<UpReport> run)
    {
        Activity? activity = null;
        try
        {
            activity = AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.up");
            var checks = CurrentChecks();
            activity?.SetTag("anxmonitoring.up.checks", checks.Count);
            var report = UpReport.Of(await _executor.RunAsync(checks, _options.Value.CheckTimeout));
            activity?.SetTag("http.response.status_code", report.StatusCode);
            if (report.HasErrors)
            {
                activity?.SetStatus(ActivityStatusCode.Error);
            }

            if (_options.Value.UpCacheLifetime > TimeSpan.Zero)
            {
                Volatile.Write(ref _lastRun, new FinishedRun(Task.FromResult(report), _timeProvider.GetTimestamp()));
            }

            run.SetResult(report);
            return report;
        }
        catch (Exception ex)
        {
            // Not expected (every check's failure is an outcome), unless a telemetry listener threw: never leave the
            // sharing requests waiting.
            run.TrySetException(ex);
            _ = run.Task.Exception; // observed here: the requests sharing the run, if any, get it through their own wait
            throw;
        }
        finally
        {
            UpCheckExecutor.Quietly(() => activity?.Dispose());
        }
    }

    private void CountRun(string result) => _telemetry?.UpRuns.Add(1, new KeyValuePair<string, object?>("anxmonitoring.up.result", result));

    /// <summary>The checks a run would run now, in order.</summary>
    internal IReadOnlyList<UpCheck> CurrentChecks() => [.. _providers.SelectMany(provider => provider.Checks)];

    private sealed record FinishedRun(Task<UpReport> Report, long EndedAt);
}
