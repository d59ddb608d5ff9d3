using NuGet.Configuration;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// One package source that <c>modules</c> asks, whatever its kind: a NuGet v3 feed (<see cref="HttpFeedSource"/>) or a
/// local folder (<see cref="LocalFolderSource"/>), chosen once per source by <see cref="Create"/>. Each reports the same
/// fields where its data has them. A new kind of source is one new implementation and one line in <see cref="Create"/>.
/// </summary>
internal interface IPackageSource
{
    /// <summary>The source as configured (its name is what package source mapping refers to).</summary>
    PackageSource Source { get; }

    /// <summary>The source's address for messages, with any credentials in it masked.</summary>
    string DisplayName { get; }

    /// <summary>Whether every lookup against this source has been failing, for the outage warning.</summary>
    PackageSourceHealth Health { get; }

    /// <summary>
    /// The versions the source lists for <paramref name="id"/>, or null when it does not know the package. A source that
    /// bounds how many it reads keeps the newest ones and <paramref name="installed"/>.
    /// </summary>
    Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, NuGetVersion? installed, CancellationToken cancellationToken);

    /// <summary>The licences a version's nuspec declares, for versions whose entry declares none; empty when unknown.</summary>
    Task<IReadOnlyList<string>> GetNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken);

    /// <summary>The source's vulnerability data, or null when it publishes none.</summary>
    Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken);

    /// <summary>The source for <paramref name="source"/>: a local folder or a v3 feed, with the lookup settings.</summary>
    static IPackageSource Create(PackageSource source, AnxMonitoringOptions options, TimeProvider time) => source.IsLocal
        ? new LocalFolderSource(source, options.ModulesFailureCacheLifetime, time)
        : new HttpFeedSource(source, options.LookupTimeout, options.ModulesCacheLifetime, options.ModulesFailureCacheLifetime, time, options.MaxFeedResponseBytes, options.LookupConcurrency);
}
