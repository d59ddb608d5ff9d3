namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>A package (or project) of the application as its dependency manifest names it.</summary>
/// <param name="Name">Its id.</param>
/// <param name="Version">Its version as the manifest writes it.</param>
internal sealed record InstalledPackage(string Name, string Version)
{
    /// <summary>Whether the application references it itself.</summary>
    public bool Direct { get; init; } = true;

    /// <summary>The application's direct references (packages or projects) through which it is reached; empty for a direct one.</summary>
    public IReadOnlyList<string> RequiredBy { get; init; } = [];

    /// <summary>The names of the packages and projects it depends on.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>The package's hash as the manifest gives it (<c>sha512-&lt;base64&gt;</c>), if it does.</summary>
    public string? Sha512 { get; init; }
}

/// <summary>The application, its other projects and its packages, from the dependency manifest it runs with.</summary>
/// <param name="Application">The application itself; its <see cref="InstalledPackage.DependsOn"/> are its direct references.</param>
/// <param name="Projects">The application's other projects.</param>
/// <param name="Packages">Its packages (transitive ones included).</param>
internal sealed record InstalledApplication(InstalledPackage Application, IReadOnlyList<InstalledPackage> Projects, IReadOnlyList<InstalledPackage> Packages)
{
    /// <summary>An application known only by its entry assembly: no manifest to read.</summary>
    public static InstalledApplication FromEntryAssembly()
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly();
        var name = entry?.GetName();
        return new InstalledApplication(
            new InstalledPackage(name?.Name ?? "application", (entry is null ? null : RuntimeVersions.ProductVersion(entry)) ?? name?.Version?.ToString() ?? "0.0.0"),
            [],
            []);
    }
}
