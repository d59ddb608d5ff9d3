namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Lists the NuGet packages the running application was built with.</summary>
internal interface IInstalledPackages
{
    /// <summary>The application, its projects and every package (transitive ones included), or null when the
    /// application carries no dependency manifest (single-file or trimmed publish).</summary>
    InstalledApplication? Read();
}
