using Anexia.Monitoring.Mvc.Modules;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>Stands in for the application's deps.json: a fixed list of installed packages, or none at all.</summary>
internal sealed class FixedInstalledPackages(IReadOnlyList<InstalledPackage>? packages) : IInstalledPackages
{
    public IReadOnlyList<InstalledPackage>? GetPackages() => packages;
}
