namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// One <c>up</c> check, whatever it comes from (a built-in check, a health check of the host, an
/// <see cref="IMonitorUpCheckHandler"/>, a <see cref="MonitorUpCheck"/> subscriber): its name, whether the current
/// settings switch it on, and how it runs. A run returns normally (OK), returns warning lines (one <c>WARNING:</c>
/// each), throws <see cref="MonitorUpWarningException"/> (one warning) or throws anything else (one error). A source
/// gives the same instance for the same check on every run, so that <see cref="UpCheckExecutor"/> can tell a check
/// still running from an earlier run.
/// </summary>
internal sealed class UpCheck
{
    private static readonly IReadOnlyList<string> NoLines = [];
    private static readonly Task<IReadOnlyList<string>> NoLinesTask = Task.FromResult(NoLines);

    public UpCheck(string name, Func<MonitorUpCheck, CancellationToken, Task<IReadOnlyList<string>>> run, Func<bool>? isSwitchedOn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        Name = name;
        RunAsync = run;
        IsSwitchedOn = isSwitchedOn ?? (static () => true);
    }

    /// <summary>The name in messages such as <c>ERROR: &lt;name&gt; timed out</c> and in the logs.</summary>
    public string Name { get; }

    /// <summary>Whether the current settings switch the check on; a check switched off is not run at all.</summary>
    public Func<bool> IsSwitchedOn { get; }

    /// <summary>The warning lines of the check's last run that returned, joined; null after any other outcome.</summary>
    public string? LastWarnings { get; set; }

    /// <summary>Runs the check in the given event's scope; returns its warning lines, empty when all is well.</summary>
    public Func<MonitorUpCheck, CancellationToken, Task<IReadOnlyList<string>>> RunAsync { get; }

    /// <summary>A check that reports through exceptions only: it returns normally when all is well.</summary>
    public static UpCheck Of(string name, Func<MonitorUpCheck, CancellationToken, Task> run, Func<bool>? isSwitchedOn = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new UpCheck(name, (check, cancellationToken) =>
        {
            // A check that completed synchronously costs no state machine and no task of its own.
            var task = run(check, cancellationToken);
            return task.IsCompletedSuccessfully ? NoLinesTask : AwaitAsync(task);
        }, isSwitchedOn);
    }

    private static async Task<IReadOnlyList<string>> AwaitAsync(Task task)
    {
        await task;
        return NoLines;
    }
}
