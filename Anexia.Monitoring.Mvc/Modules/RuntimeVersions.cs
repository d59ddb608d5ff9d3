using System.Reflection;
using Microsoft.AspNetCore.Builder;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>The versions of the runtime and of the ASP.NET Core shared framework this process runs on.</summary>
internal static class RuntimeVersions
{
    /// <summary>The package whose versions follow ASP.NET Core's: its newest is the newest ASP.NET Core.</summary>
    public const string FrameworkPackageId = "Microsoft.AspNetCore.App.Ref";

    /// <summary>The .NET runtime version, such as <c>10.0.12</c>.</summary>
    public static string Platform { get; } = Environment.Version.ToString();

    /// <summary>
    /// The runtime's release, such as <c>10.0.12</c> or <c>11.0.0-rc.2.25502.107</c>: <see cref="Environment.Version"/>
    /// without a preview's label would pass for the release that followed it, and hide the fixes that release made. A
    /// build of a release from source says <c>10.0.12-servicing.…</c>, which is the release itself.
    /// </summary>
    public static string PlatformRelease { get; } = ReleaseOf(ProductVersion(typeof(object).Assembly), Environment.Version);

    internal static string ReleaseOf(string? productVersion, Version runtime) =>
        NuGetVersion.TryParse(productVersion, out var release)
        && release.IsPrerelease
        && release.Version == new Version(runtime.Major, runtime.Minor, runtime.Build, 0)
        && !release.Release.StartsWith("servicing", StringComparison.OrdinalIgnoreCase)
        && !release.Release.StartsWith("rtm", StringComparison.OrdinalIgnoreCase)
            ? release.ToNormalizedString()
            : runtime.ToString();

    /// <summary>The ASP.NET Core shared framework version, such as <c>10.0.12</c>, read from one of its own assemblies.</summary>
    public static string Framework { get; } = ProductVersion(typeof(WebApplication).Assembly) ?? Platform;

    internal static string? ProductVersion(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return null;
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
