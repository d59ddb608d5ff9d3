using Microsoft.Extensions.Hosting;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Fills the <c>modules</c> cache in the background once the application has started, without delaying the start.</summary>
internal sealed class ModulesWarmUp : IHostedService
{
    private readonly ModulesCatalog _catalog;
    private readonly IHostApplicationLifetime _lifetime;
    private CancellationTokenRegistration _registration;

    public ModulesWarmUp(ModulesCatalog catalog, IHostApplicationLifetime lifetime)
    {
        _catalog = catalog;
        _lifetime = lifetime;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = _lifetime.ApplicationStarted.Register(() =>
            _ = Task.Run(async () =>
            {
                try
                {
                    await _catalog.GetReportAsync(_lifetime.ApplicationStopping);
                }
                catch (OperationCanceledException)
                {
                    // Stopping before the cache was warm: nothing to do.
                }
            }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }
}
