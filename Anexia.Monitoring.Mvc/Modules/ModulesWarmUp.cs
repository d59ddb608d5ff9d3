using Anexia.Monitoring.Mvc.Hosting;
using Microsoft.Extensions.Hosting;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Fills the <c>modules</c> cache in the background once the application has started, without delaying the start.</summary>
internal sealed class ModulesWarmUp(ModulesCatalog catalog, SharedLookupCache shared, IHostApplicationLifetime lifetime)
    : AfterStartService(lifetime)
{
    private readonly ModulesCatalog _catalog = catalog;
    private readonly SharedLookupCache _shared = shared;

    protected override async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            _shared.StartConnecting();
            await _catalog.GetReportAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping before the cache was warm: nothing to do.
        }
    }
}
