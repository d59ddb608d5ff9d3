using Anexia.Monitoring.Mvc.Modules;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>The benchmark's stand-in for a deps.json with 300 packages.</summary>
internal sealed class BenchPackages(IReadOnlyList<InstalledPackage> packages) : IInstalledPackageSource
{
    public IReadOnlyList<InstalledPackage>? GetPackages() => packages;
}
