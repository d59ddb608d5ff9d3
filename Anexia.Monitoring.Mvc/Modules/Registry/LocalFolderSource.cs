using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetLogger = NuGet.Common.NullLogger;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// A local folder of packages (flat or in the global-packages layout) as an <see cref="IPackageSource"/>, read through
/// NuGet.Protocol's local resources. Its entries carry the licence of each package's nuspec; a local folder publishes
/// no vulnerability data and no deprecations, and its packages are all listed.
/// </summary>
internal sealed class LocalFolderSource(PackageSource source, TimeSpan failureCacheLifetime, TimeProvider time)
    : PackageSourceBase(source, NuGet.Protocol.Core.Types.Repository.Factory.GetCoreV3(source), failureCacheLifetime, time)
{
    public override async Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, NuGetVersion? installed, CancellationToken cancellationToken)
    {
        var resource = await Repository.GetResourceAsync<PackageMetadataResource>(cancellationToken)
            ?? throw new InvalidOperationException($"The folder {DisplayName} cannot be read as a package source.");
        using var cache = new SourceCacheContext();
        var found = (await resource.GetMetadataAsync(id, includePrerelease: true, includeUnlisted: true, cache, NuGetLogger.Instance, cancellationToken)).ToList();
        if (found.Count == 0)
        {
            return null;
        }

        return found
            .Where(m => string.Equals(m.Identity.Id, id, StringComparison.OrdinalIgnoreCase))
            .Select(m => new PackageVersionEntry(m.Identity.Version, m.IsListed,
                Licences.From(m.LicenseMetadata?.Type == LicenseType.Expression ? m.LicenseMetadata.License : null, m.LicenseUrl?.OriginalString)))
            .ToList();
    }

    /// <summary>Empty: the entries of a local folder already carry what each nuspec declares.</summary>
    public override Task<IReadOnlyList<string>> GetNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([]);

    public override Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<VulnerabilityDatabase?>(null);
}
