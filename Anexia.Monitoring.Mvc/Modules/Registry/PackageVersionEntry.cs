using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>One version of a package as a source's registration data describes it.</summary>
internal sealed record PackageVersionEntry(NuGetVersion Version, bool Listed, IReadOnlyList<string> Licences)
{
    /// <summary>The known vulnerabilities the registration entry lists; empty when none.</summary>
    public IReadOnlyList<KnownVulnerability> Vulnerabilities { get; init; } = [];

    /// <summary>The deprecation the registration entry declares, or null.</summary>
    public PackageDeprecation? Deprecation { get; init; }
}
