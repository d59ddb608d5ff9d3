namespace Anexia.Monitoring.Mvc;

/// <summary>
/// The event the <c>up</c> endpoint publishes once per check run, the counterpart of Django's
/// <c>monitor_up_check</c> signal. A subscriber returns normally when all is well, throws
/// <see cref="MonitorUpWarningException"/> to report a warning, and throws any other exception to report an error.
/// </summary>
public sealed class MonitorUpCheck
{
    /// <summary>Creates the event for one subscriber.</summary>
    /// <param name="services">The services of the DI scope created for this subscriber alone.</param>
    internal MonitorUpCheck(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        Services = services;
    }

    /// <summary>
    /// The services of a DI scope of this subscriber's own, disposed when the subscriber finishes;
    /// resolve scoped services such as a <c>DbContext</c> from here.
    /// </summary>
    public IServiceProvider Services { get; }
}
