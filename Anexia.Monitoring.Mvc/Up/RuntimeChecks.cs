using Anexia.Monitoring.Mvc.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The runtime check: <c>WARNING:</c> lines when the running .NET runtime misses security fixes or its channel is (nearly)
/// out of support, from the release metadata <c>modules</c> reads. Present only while <see cref="AnxMonitoringOptions.RuntimeReleasesIndex"/> is set.
/// </summary>
internal sealed class RuntimeChecks : IUpCheckProvider
{
    private readonly UpCheck[] _checks;

    public RuntimeChecks(IOptions<AnxMonitoringOptions> options, IServiceProvider services)
    {
        // The catalogue is a singleton: taken from the root provider, so that the check needs no scope of its own.
        _checks = string.IsNullOrWhiteSpace(options.Value.RuntimeReleasesIndex)
            ? []
            : [new UpCheck("runtime", (_, _) => Task.FromResult(services.GetRequiredService<ModulesCatalog>().GetRuntimeWarnings()))];
    }

    public IEnumerable<UpCheck> Checks => _checks;
}
