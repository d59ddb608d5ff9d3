namespace Anexia.Monitoring.Mvc;

/// <summary>
/// A class-based <c>up</c> check, registered with
/// <c>services.AddMonitorUpCheck&lt;TCheck&gt;()</c> and resolved from a DI scope of its own on every run.
/// </summary>
public interface IMonitorUpCheckHandler
{
    /// <summary>
    /// Runs the check. Return normally when all is well; throw <see cref="MonitorUpWarningException"/> for a
    /// warning and any other exception for an error.
    /// </summary>
    /// <param name="check">The event, carrying this run's scoped services.</param>
    /// <param name="cancellationToken">Cancelled when the check's time limit passes or the request is aborted.</param>
    /// <returns>A task that completes when the check is done.</returns>
    Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken);
}
