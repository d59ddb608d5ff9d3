using Anexia.Monitoring.Mvc.Security;
using NuGet.Common;
using NuGet.Configuration;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>The sources to ask, built once, with the NuGet.Config's package source mapping where it is used.</summary>
internal sealed class PackageSourceSet
{
    private readonly List<IPackageSource> _all;
    private readonly PackageSourceMapping? _mapping;

    private PackageSourceSet(List<IPackageSource> all, PackageSourceMapping? mapping)
    {
        _all = all;
        _mapping = mapping;
    }

    public static PackageSourceSet Create(AnxMonitoringOptions options, ILogger logger, TimeProvider time, string nuGetConfigRoot)
    {
        var sources = (options.PackageSources.Count > 0 ? options.PackageSources : [NuGetConstants.V3FeedUrl]).Select(s => new PackageSource(s)).ToList();
        PackageSourceMapping? mapping = null;
        if (options.UseNuGetConfig)
        {
            try
            {
                var settings = Settings.LoadDefaultSettings(root: nuGetConfigRoot);
                sources.AddRange(new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled));
                mapping = PackageSourceMapping.GetPackageSourceMapping(settings);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NuGetConfigurationException)
            {
                PackageRegistry.Log.NuGetConfigUnreadable(logger, SecretMasker.ForLog(ex.Message));
            }
        }

        var distinct = sources
            .GroupBy(s => s.Source.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)
            .Select(g => IPackageSource.Create(g.First(), options, time))
            .ToList();
        return new PackageSourceSet(distinct, mapping is { IsEnabled: true } ? mapping : null);
    }

    public List<IPackageSource> For(string id)
    {
        if (_mapping is null)
        {
            return _all;
        }

        var names = _mapping.GetConfiguredPackageSources(id);
        return names.Count == 0 ? _all : _all.Where(c => names.Contains(c.Source.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>The global packages folder of this machine, where restore left the installed packages; null if absent.</summary>
    public static string? GlobalPackagesFolder()
    {
        var folder = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(folder))
        {
            folder = Path.Combine(NuGetEnvironment.GetFolderPath(NuGetFolderPath.NuGetHome), "packages");
        }

        return Directory.Exists(folder) ? folder : null;
    }
}
