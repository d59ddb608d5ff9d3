using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyModel;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// Reads the installed packages from the application's deps.json through <see cref="DependencyContext"/>.
/// The shared frameworks' own runtime packs (<c>Microsoft.NETCore.App.Runtime.linux-x64</c>, ...), which the
/// default context merges in from the frameworks' deps files, are the runtime itself and are reported there.
/// A single-file application carries its deps.json inside the bundle, where the runtime reads it but does not
/// expose it: <see cref="DependencyContext.Default"/> then holds the framework's runtime pack alone, with no entry
/// for the application itself. That counts as no manifest, as a missing deps.json does.
/// </summary>
internal sealed partial class DependencyManifestPackages(Func<DependencyContext?> load) : IInstalledPackages
{
    private readonly Func<DependencyContext?> _load = load;

    public DependencyManifestPackages()
        : this(() => DependencyContext.Default)
    {
    }

    public IReadOnlyList<InstalledPackage>? GetPackages()
    {
        var context = _load();
        if (context is null || !context.RuntimeLibraries.Any(library => string.Equals(library.Type, "project", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        return context.RuntimeLibraries.Cast<Library>()
            .Concat(context.CompileLibraries)
            .Where(library => string.Equals(library.Type, "package", StringComparison.OrdinalIgnoreCase)
                && !FrameworkRuntimePack().IsMatch(library.Name))
            .GroupBy(library => library.Name, StringComparer.OrdinalIgnoreCase)
            .Select(group => new InstalledPackage(group.First().Name, group.First().Version))
            .ToList();
    }

    [GeneratedRegex(@"^Microsoft\.[A-Za-z]+\.App\.Runtime\.", RegexOptions.CultureInvariant)]
    private static partial Regex FrameworkRuntimePack();
}
