using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>What the package sources say about one installed package, or the release metadata about the runtime.</summary>
/// <param name="NewestVersion">The newest version by the rules in docs/modules.md, or null when unknown.</param>
/// <param name="InstalledLicences">The installed version's licences; empty when unknown.</param>
/// <param name="NewestLicences">The newest version's licences; empty when unknown.</param>
internal sealed record ModuleInfo(NuGetVersion? NewestVersion, IReadOnlyList<string> InstalledLicences, IReadOnlyList<string> NewestLicences)
{
    /// <summary>The installed version's known vulnerabilities; empty when none is known.</summary>
    public IReadOnlyList<KnownVulnerability> InstalledVulnerabilities { get; init; } = [];

    /// <summary>The installed version's deprecation, or null when it is not deprecated (or nothing is known).</summary>
    public PackageDeprecation? InstalledDeprecation { get; init; }

    /// <summary>The newest listed stable version with the installed major version (the installed one when none is newer); null when unknown.</summary>
    public NuGetVersion? NewestCompatibleVersion { get; init; }

    /// <summary>For the runtime only: what the release metadata says about its channel.</summary>
    public PlatformStatus? Platform { get; init; }

    /// <summary>Nothing is known: no source knows the package, or every source failed.</summary>
    public static ModuleInfo Unknown { get; } = new(null, [], []);
}
