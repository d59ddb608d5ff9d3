namespace Anexia.Monitoring.Mvc;

/// <summary>
/// The in-process event aggregator through which checks subscribe to <see cref="MonitorUpCheck"/>,
/// as Django receivers connect to the <c>monitor_up_check</c> signal. Registered as a singleton by
/// <c>AddAnxMonitoring</c>. Every <see cref="MonitorUpCheck"/> subscriber runs after the built-in checks, the host's
/// health checks and the <c>AddMonitorUpCheck</c> classes.
/// </summary>
public interface IEventAggregator
{
    /// <summary>
    /// Subscribes a handler under a generated name (<c>check #N</c>, or <c>Type.Method</c> for a named method).
    /// </summary>
    /// <typeparam name="TEvent">The event type, such as <see cref="MonitorUpCheck"/>.</typeparam>
    /// <param name="handler">The handler; it receives the event and a token cancelled at its time limit.</param>
    /// <returns>An object whose disposal removes the subscription.</returns>
    IDisposable Subscribe<TEvent>(Func<TEvent, CancellationToken, Task> handler)
        where TEvent : class;

    /// <summary>Subscribes a handler under a name that appears in messages such as <c>ERROR: &lt;name&gt; timed out</c>.</summary>
    /// <typeparam name="TEvent">The event type, such as <see cref="MonitorUpCheck"/>.</typeparam>
    /// <param name="name">A short, human-readable name of the check.</param>
    /// <param name="handler">The handler; it receives the event and a token cancelled at its time limit.</param>
    /// <returns>An object whose disposal removes the subscription.</returns>
    IDisposable Subscribe<TEvent>(string name, Func<TEvent, CancellationToken, Task> handler)
        where TEvent : class;
}
