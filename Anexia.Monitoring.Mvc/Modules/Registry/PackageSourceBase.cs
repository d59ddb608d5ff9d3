using Anexia.Monitoring.Mvc.Security;
using NuGet.Configuration;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>What every kind of <see cref="IPackageSource"/> has: the source, its masked address, its health, its NuGet repository.</summary>
internal abstract class PackageSourceBase(PackageSource source, SourceRepository repository, TimeSpan failureCacheLifetime, TimeProvider time)
    : IPackageSource
{
    public PackageSource Source { get; } = source;

    public string DisplayName { get; } = SecretMasker.Apply(source.Source);

    public PackageSourceHealth Health { get; } = new PackageSourceHealth(time, failureCacheLifetime);

    /// <summary>NuGet.Protocol's repository of the source, with the resource providers this kind of source uses.</summary>
    protected SourceRepository Repository { get; } = repository;

    public abstract Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, NuGetVersion? installed, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyList<string>> GetNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken);

    public abstract Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken);
}
