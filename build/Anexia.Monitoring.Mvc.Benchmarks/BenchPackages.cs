using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>The benchmark's stand-in for a deps.json with 300 packages.</summary>
internal sealed class BenchPackages(IReadOnlyList<InstalledPackage> packages) : IInstalledPackages
{
    public IReadOnlyList<InstalledPackage>? GetPackages() => packages;
}
