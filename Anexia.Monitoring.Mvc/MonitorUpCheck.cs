using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc;

/// <summary>
/// The event the <c>up</c> endpoint publishes once per check run, the counterpart of Django's
/// <c>monitor_up_check</c> signal. A subscriber returns normally when all is well, throws
/// <see cref="MonitorUpWarningException"/> to report a warning, and throws any other exception to report an error.
/// </summary>
public sealed class MonitorUpCheck
{
    private readonly IServiceScopeFactory _scopes;
    private AsyncServiceScope? _scope;

    /// <summary>Creates the event for one subscriber; its DI scope is made when the subscriber first asks for it.</summary>
    internal MonitorUpCheck(IServiceScopeFactory scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        _scopes = scopes;
    }

    /// <summary>
    /// The services of a DI scope of this subscriber's own, disposed when the subscriber finishes;
    /// resolve scoped services such as a <c>DbContext</c> from here.
    /// </summary>
    public IServiceProvider Services
    {
        get
        {
            lock (_scopes)
            {
                _scope ??= _scopes.CreateAsyncScope();
                return _scope.Value.ServiceProvider;
            }
        }
    }

    /// <summary>Disposes the subscriber's scope, if it asked for one.</summary>
    internal ValueTask DisposeScopeAsync()
    {
        AsyncServiceScope? scope;
        lock (_scopes)
        {
            scope = _scope;
        }

        return scope?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
