using Anexia.Monitoring.Mvc.Modules;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>Stands in for the application's deps.json: a fixed list of installed packages (all referenced directly), or none at all.</summary>
internal sealed class FixedInstalledPackages(IReadOnlyList<InstalledPackage>? packages) : IInstalledPackages
{
    public InstalledApplication? Read() => packages is null
        ? null
        : new InstalledApplication(new InstalledPackage("TestApplication", "1.0.0") { DependsOn = [.. packages.Where(p => p.Direct).Select(p => p.Name)] }, [], packages);
}
