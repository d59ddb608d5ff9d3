using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyModel;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// Reads the application, its projects and its packages from the application's deps.json through
/// <see cref="DependencyContext"/>, with the graph between them: which packages the application references itself,
/// and through which of its references each other one is reached. The shared frameworks' own runtime packs
/// (<c>Microsoft.NETCore.App.Runtime.linux-x64</c>, ...), which the default context merges in from the frameworks'
/// deps files, are the runtime itself and are reported there. A single-file application carries its deps.json inside
/// the bundle, where the runtime reads it but does not expose it: <see cref="DependencyContext.Default"/> then holds
/// the framework's runtime pack alone, with no entry for the application itself. That counts as no manifest, as a
/// missing deps.json does.
/// </summary>
internal sealed partial class DependencyManifestPackages(Func<DependencyContext?> load) : IInstalledPackages
{
    private readonly Func<DependencyContext?> _load = load;

    public DependencyManifestPackages()
        : this(() => DependencyContext.Default)
    {
    }

    public InstalledApplication? Read()
    {
        var context = _load();
        var projects = context?.RuntimeLibraries.Where(l => IsType(l, "project")).ToList() ?? [];
        if (context is null || projects.Count == 0)
        {
            return null;
        }

        // The application is the project the manifest was written for: the entry assembly's, else the first listed.
        var entry = Assembly.GetEntryAssembly()?.GetName().Name;
        var root = projects.Find(p => string.Equals(p.Name, entry, StringComparison.OrdinalIgnoreCase)) ?? projects[0];
        var libraries = context.RuntimeLibraries.Cast<Library>().Concat(context.CompileLibraries)
            .GroupBy(l => l.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => (Library: g.First(), DependsOn: g.SelectMany(l => l.Dependencies).Select(d => d.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToArray()), StringComparer.OrdinalIgnoreCase);
        var direct = new HashSet<string>(libraries[root.Name].DependsOn, StringComparer.OrdinalIgnoreCase);
        var requiredBy = RequiredBy(direct, libraries.ToDictionary(l => l.Key, l => l.Value.DependsOn, StringComparer.OrdinalIgnoreCase));

        InstalledPackage ToInstalled(Library library) => new(library.Name, library.Version)
        {
            Direct = direct.Contains(library.Name),
            RequiredBy = direct.Contains(library.Name) ? [] : requiredBy.GetValueOrDefault(library.Name) ?? [],
            DependsOn = libraries[library.Name].DependsOn,
            Sha512 = string.IsNullOrEmpty(library.Hash) ? null : library.Hash,
        };

        var all = libraries.Values.Select(l => l.Library).ToList();
        return new InstalledApplication(
            ToInstalled(root) with { Direct = true },
            [.. all.Where(l => IsType(l, "project") && l.Name != root.Name).Select(ToInstalled)],
            [.. all.Where(l => IsType(l, "package") && !FrameworkRuntimePack().IsMatch(l.Name)).Select(ToInstalled)]);
    }

    /// <summary>For each library reached from a direct reference, the direct references it is reached through, sorted.</summary>
    private static Dictionary<string, IReadOnlyList<string>> RequiredBy(HashSet<string> direct, Dictionary<string, string[]> edges)
    {
        var through = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var reference in direct)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { reference };
            var next = new Stack<string>(edges.GetValueOrDefault(reference) ?? []);
            while (next.TryPop(out var name))
            {
                if (!seen.Add(name))
                {
                    continue;
                }

                if (!through.TryGetValue(name, out var set))
                {
                    through[name] = set = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
                }

                set.Add(reference);
                foreach (var dependency in edges.GetValueOrDefault(name) ?? [])
                {
                    next.Push(dependency);
                }
            }
        }

        return through.ToDictionary(t => t.Key, t => (IReadOnlyList<string>)[.. t.Value], StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsType(Library library, string type) => string.Equals(library.Type, type, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^Microsoft\.[A-Za-z]+\.App\.Runtime\.", RegexOptions.CultureInvariant)]
    private static partial Regex FrameworkRuntimePack();
}
