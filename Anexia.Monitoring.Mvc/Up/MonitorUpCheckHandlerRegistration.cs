using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>Records one <c>AddMonitorUpCheck&lt;TCheck&gt;()</c> call; turned into a check by <see cref="HandlerChecks"/>.</summary>
internal abstract class MonitorUpCheckHandlerRegistration
{
    public abstract UpCheck CreateCheck();
}

/// <summary>The registration of the handler type <typeparamref name="TCheck"/>; one per type, however often it is added.</summary>
/// <typeparam name="TCheck">The handler type, resolved from the check's own scope.</typeparam>
internal sealed class MonitorUpCheckHandlerRegistration<TCheck> : MonitorUpCheckHandlerRegistration
    where TCheck : class, IMonitorUpCheckHandler
{
    public override UpCheck CreateCheck() =>
        UpCheck.Of(typeof(TCheck).Name, (check, cancellationToken) => check.Services.GetRequiredService<TCheck>().CheckAsync(check, cancellationToken));
}
