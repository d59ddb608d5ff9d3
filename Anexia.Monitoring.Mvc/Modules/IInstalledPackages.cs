namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Lists the NuGet packages the running application was built with.</summary>
internal interface IInstalledPackages
{
    /// <summary>Every package (transitive ones included, the application's own projects left out), or null when the
    /// application carries no dependency manifest (single-file or trimmed publish).</summary>
    IReadOnlyList<InstalledPackage>? GetPackages();
}
