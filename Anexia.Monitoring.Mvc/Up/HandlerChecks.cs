namespace Anexia.Monitoring.Mvc.Up;

/// <summary>The <see cref="IMonitorUpCheckHandler"/> classes added with <c>AddMonitorUpCheck&lt;TCheck&gt;()</c>, in registration order.</summary>
internal sealed class HandlerChecks(IEnumerable<MonitorUpCheckHandlerRegistration> handlers) : IUpCheckProvider
{
    private readonly UpCheck[] _checks = [.. handlers.Select(handler => handler.CreateCheck())];

    public IEnumerable<UpCheck> Checks => _checks;
}
