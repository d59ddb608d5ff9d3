namespace Anexia.Monitoring.Mvc.Up;

/// <summary>The <see cref="IMonitorUpCheckHandler"/> classes added with <c>AddMonitorUpCheck&lt;TCheck&gt;()</c>, in registration order.</summary>
internal sealed class HandlerCheckSource : IUpCheckSource
{
    private readonly UpCheck[] _checks;

    public HandlerCheckSource(IEnumerable<MonitorUpCheckHandlerRegistration> handlers)
    {
        _checks = [.. handlers.Select(handler => handler.CreateCheck())];
    }

    public IEnumerable<UpCheck> Checks => _checks;
}
