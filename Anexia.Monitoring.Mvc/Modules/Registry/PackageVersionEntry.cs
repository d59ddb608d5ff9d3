using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>One version of a package as a source's registration data describes it.</summary>
/// <param name="Version">The version.</param>
/// <param name="Listed">False for an unlisted version, which never counts as newest.</param>
/// <param name="Licences">The SPDX expression, else the licence URL; empty when the entry declares neither.</param>
internal sealed record PackageVersionEntry(NuGetVersion Version, bool Listed, IReadOnlyList<string> Licences)
{
    /// <summary>The known vulnerabilities the registration entry lists; empty when none.</summary>
    public IReadOnlyList<KnownVulnerability> Vulnerabilities { get; init; } = [];

    /// <summary>The deprecation the registration entry declares, or null.</summary>
    public PackageDeprecation? Deprecation { get; init; }
}
