using Microsoft.Extensions.DependencyModel;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Reads the installed packages from the application's deps.json through <see cref="DependencyContext"/>.</summary>
internal sealed class DependencyContextPackageSource : IInstalledPackageSource
{
    private readonly Func<DependencyContext?> _load;

    public DependencyContextPackageSource()
        : this(() => DependencyContext.Default)
    {
    }

    public DependencyContextPackageSource(Func<DependencyContext?> load)
    {
        _load = load;
    }

    public IReadOnlyList<InstalledPackage>? GetPackages()
    {
        var context = _load();
        if (context is null)
        {
            return null;
        }

        return context.RuntimeLibraries.Cast<Library>()
            .Concat(context.CompileLibraries)
            .Where(library => string.Equals(library.Type, "package", StringComparison.OrdinalIgnoreCase))
            .GroupBy(library => library.Name, StringComparer.OrdinalIgnoreCase)
            .Select(group => new InstalledPackage(group.First().Name, group.First().Version))
            .ToList();
    }
}
